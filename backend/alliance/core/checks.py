"""System checks with stable ids."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security)
def check_demo_mode(app_configs, **kwargs):  # type: ignore[no-untyped-def]
    """Demo mode (demo payments, demo media serving) never runs with DEBUG off in production."""
    errors = []
    if settings.DEMO_MODE and not settings.DEBUG:
        errors.append(
            Error(
                "DEMO_MODE is on while DEBUG is off.",
                hint="Demo mode is for the local demo only; unset DEMO_MODE in production.",
                id="alliance.E001",
            )
        )
    return errors
