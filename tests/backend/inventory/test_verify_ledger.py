"""`manage.py verify_ledger`: on hand equals the ledger and reserved equals the allocations,
checked for the whole database."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from alliance.inventory.allocation import AllocationRequest, stock_allocate
from alliance.inventory.ledger import ledger_mismatches, record_movement
from alliance.inventory.models import Allocation, Stock, StockMovement
from alliance.inventory.selectors import allocation_mismatches
from tests.backend.factories.catalog import VariantFactory
from tests.backend.factories.inventory import lot, stock_in, the_base, village_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def stocks():
    variant = VariantFactory(sku="HONEY-500")
    here = village_warehouse(variant.product.producer.village)
    first = stock_in(here, lot(variant, "L-A"), 10)
    second = stock_in(the_base(), lot(variant, "L-B"), 8)
    record_movement(stock=first, kind=StockMovement.Kind.LOSS, quantity=-2, reason="碰伤")
    stock_allocate(lines=[AllocationRequest(variant.pk, 3, "order-line:9")], channel_slug="base")
    return first, second


def run() -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("verify_ledger", stdout=out)
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode
    return out.getvalue(), 0


def test_a_clean_database_passes(stocks):
    output, code = run()

    assert code == 0
    assert output.strip() == (
        "OK: 2 stock rows, 3 movements, on hand equals ledger, allocated equals allocations."
    )


def test_an_empty_database_passes():
    output, code = run()
    assert code == 0
    assert output.startswith(f"OK: {Stock.objects.count()} stock rows, 0 movements")


def test_on_hand_changed_behind_the_ledgers_back_fails_and_names_the_stock(stocks):
    first, second = stocks
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inventory_stock SET quantity = quantity + 5 WHERE id = %s", [first.pk]
        )

    output, code = run()

    assert code == 1
    assert f"MISMATCH stock {first.pk} (HONEY-500 in {first.warehouse.code}, lot L-A)" in output
    assert "on hand 13, ledger 8 (difference +5)" in output
    assert f"stock {second.pk} " not in output
    assert "1 stock rows differ from the ledger, 0 from their allocations." in output
    assert ledger_mismatches() == [(first.pk, 13, 8)]


def test_reserved_stock_without_its_allocation_rows_fails(stocks):
    _, at_base = stocks
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM inventory_allocation WHERE reference = 'order-line:9'")

    output, code = run()

    assert code == 1
    assert f"MISMATCH stock {at_base.pk} (HONEY-500 in BASE, lot L-B)" in output
    assert "allocated 3, allocations 0 (difference +3)" in output
    assert "0 stock rows differ from the ledger, 1 from their allocations." in output
    assert Allocation.objects.count() == 0
    assert allocation_mismatches() == [(at_base.pk, 3, 0)]


def test_each_check_is_one_query_whatever_the_size(stocks, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert ledger_mismatches() == []
    with django_assert_num_queries(1):
        assert allocation_mismatches() == []
