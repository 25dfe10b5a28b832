from django.contrib import admin

from alliance.accounts.models import User


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "role", "village", "is_active", "is_demo")
    list_filter = ("role", "is_active", "is_demo")
    search_fields = ("email", "full_name")
    fields = ("email", "full_name", "role", "village", "producers", "is_active", "is_staff")
    filter_horizontal = ("producers",)
