"""A local HTTP server speaking Stripe's API from Stripe's own fixtures, for the test suite.

`StripeServer` (server.py) is what the real SDK talks to; `stripe_server` in
tests/conftest.py starts one per test and points settings.STRIPE_* at it. `webhooks.sign`
signs webhook bodies as Stripe does.
"""

from tests.stripe_server.server import RecordedRequest, StripeServer
from tests.stripe_server.webhooks import event_body, sign

__all__ = ["RecordedRequest", "StripeServer", "event_body", "sign"]
