"""System checks of the payments app (stable ids).

The demo gateway must never run where real money moves. Two rules, one per check id:
- DEMO_MODE with DEBUG off: alliance.E001 (alliance/core/checks.py) already refuses it;
  not repeated here;
- DEMO_MODE together with a STRIPE_SECRET_KEY: payments.E001 (a demo gateway beside a
  real Stripe account could mark orders paid that nobody paid).
The demo gateway also re-checks all three settings on every use
(alliance.payments.flow.demo_gateway_available): system checks do not run under every
server.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_demo_gateway(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    if getattr(settings, "DEMO_MODE", False) and getattr(settings, "STRIPE_SECRET_KEY", None):
        return [
            Error(
                "DEMO_MODE is on while STRIPE_SECRET_KEY is set.",
                hint="The demo gateway is for machines without Stripe: unset DEMO_MODE, "
                "or the Stripe key for the offline demo.",
                id="payments.E001",
            )
        ]
    return []
