"""Read-mostly admin: changes to products go through the API so that the services' checks run."""

from django.contrib import admin

from alliance.catalog.models import Category, Channel, Product, ProductVariant, VariantChannelPrice


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "currency", "is_active")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "parent", "sort_order")


class VariantInline(admin.TabularInline):
    model = ProductVariant
    fields = ("sku", "unit_label", "weight_g", "sold_by")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "producer", "category", "status", "created_at")
    list_filter = ("status", "category")
    search_fields = ("name",)
    list_select_related = ("producer", "category")
    readonly_fields = ("name", "producer", "category", "status", "published_at", "origin")
    exclude = ("search_vector",)
    inlines = [VariantInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(VariantChannelPrice)
class VariantChannelPriceAdmin(admin.ModelAdmin):
    list_display = ("variant", "channel", "price", "is_available")
    list_select_related = ("variant", "channel")
    list_filter = ("channel",)
