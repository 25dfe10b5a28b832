from django.contrib import admin

from alliance.orders.models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    fields = ("sku", "product_name", "producer_name", "quantity", "unit_price", "line_total")
    readonly_fields = fields
    can_delete = False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "channel", "status", "payment_status", "total", "created_at")
    list_filter = ("channel", "status", "payment_status")
    search_fields = ("number", "email", "receipt_number")
    readonly_fields = ("status", "payment_status", "subtotal", "shipping", "total")
    inlines = [OrderLineInline]
