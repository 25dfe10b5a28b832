from decimal import Decimal

import pytest

from alliance.checkout.checks import check_shipping_rates
from alliance.checkout.shipping import ShippingTableInvalid, shipping_fee


@pytest.mark.parametrize(
    ("grams", "fee"),
    [
        (0, "0.00"),
        (1, "8.00"),
        (1_000, "8.00"),
        (1_001, "12.00"),
        (3_000, "12.00"),
        (3_001, "15.00"),
        (5_000, "15.00"),
        (5_001, "22.00"),
        (10_000, "22.00"),
        (10_001, "35.00"),
        (20_000, "35.00"),
        (20_001, "37.00"),  # a started kilogram over 20 kg
        (21_000, "37.00"),
        (21_001, "39.00"),
        (50_000, "95.00"),
    ],
)
def test_default_table_boundaries(grams, fee):
    assert shipping_fee(grams) == Decimal(fee)


def test_table_comes_from_settings_at_call_time(settings):
    settings.SHIPPING_RATES = [(2_000, Decimal("10.00")), (4_000, "16.50")]
    settings.SHIPPING_EXTRA_PER_KG = "3.00"

    assert shipping_fee(2_000) == Decimal("10.00")
    assert shipping_fee(2_001) == Decimal("16.50")
    assert shipping_fee(6_500) == Decimal("25.50")  # 16.50 + 3 started kg x 3.00


@pytest.mark.parametrize(
    "rates",
    [
        [(1_000, 8.0)],  # float fee
        [(3_000, "12.00"), (1_000, "8.00")],  # not increasing
        [(1_000, "12.00"), (3_000, "8.00")],  # fee falls
        [(0, "8.00")],
        [(1_000, "-1.00")],
        [(1_000, "abc")],
        [("1000", "8.00")],
    ],
)
def test_malformed_table_is_refused_by_the_system_check(settings, rates):
    settings.SHIPPING_RATES = rates

    with pytest.raises(ShippingTableInvalid):
        shipping_fee(500)
    assert [e.id for e in check_shipping_rates(None)] == ["checkout.E001"]


def test_configured_table_passes_the_check():
    assert check_shipping_rates(None) == []
