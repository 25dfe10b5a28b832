"""The demo county: real townships and villages, generated producers, products and photos.

`load_demo_county()` builds it (idempotent), `reset_demo_data()` removes every demo row.
Used by `manage.py load_demo`; everything it writes is marked is_demo=True, except the
inventory (alliance.core.demo.inventory), whose rows are demo rows by their demo variants.
"""

from alliance.core.demo.loader import (
    DemoResetRefused,
    DemoResult,
    load_demo_county,
    reset_demo_data,
)
from alliance.core.demo.logins import DEMO_PASSWORD

__all__ = ["DEMO_PASSWORD", "DemoResetRefused", "DemoResult", "load_demo_county", "reset_demo_data"]
