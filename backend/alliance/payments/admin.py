from django.contrib import admin

from alliance.payments.models import Payment, Refund, WebhookEvent


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ("id", "order", "gateway", "status", "amount", "captured_amount")
    list_filter = ("gateway", "status")
    search_fields = ("psp_reference", "reference", "order__number")
    readonly_fields = ("captured_amount", "refunded_amount", "status")


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = ("id", "payment", "amount", "status", "created_at")
    list_filter = ("status",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at")
    search_fields = ("event_id", "type")
