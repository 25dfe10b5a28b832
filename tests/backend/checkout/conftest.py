import pytest
from django.utils import timezone

from alliance.checkout.models import Checkout


@pytest.fixture
def complete():
    """Mark a checkout completed, as checkoutComplete will."""

    def mark(checkout: Checkout) -> Checkout:
        Checkout.objects.filter(pk=checkout.pk).update(completed_at=timezone.now())
        return checkout

    return mark
