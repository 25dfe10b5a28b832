"""System checks of the checkout settings."""

from django.core.checks import Error, register

from alliance.checkout.shipping import ShippingTableInvalid, extra_per_kg, shipping_rates


@register()
def check_shipping_rates(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    try:
        shipping_rates()
        extra_per_kg()
    except (ShippingTableInvalid, ValueError) as exc:
        return [
            Error(
                f"The shipping table is invalid: {exc}",
                hint="SHIPPING_RATES = [(max_grams, Decimal fee), ...] in increasing order.",
                id="checkout.E001",
            )
        ]
    return []
