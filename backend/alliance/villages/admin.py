from django.contrib import admin

from alliance.villages.models import Producer, Town, Village


@admin.register(Town)
class TownAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "is_demo")


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "town", "kind", "is_demo")
    list_filter = ("town", "kind")
    search_fields = ("name", "code")


@admin.register(Producer)
class ProducerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "village", "is_demo")
    list_filter = ("kind", "village__town")
    search_fields = ("name",)
    list_select_related = ("village",)
