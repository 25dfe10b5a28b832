"""Check the inventory's invariants over the whole database.

    python backend/manage.py verify_ledger

- on hand (Stock.quantity) equals the sum of the stock's ledger rows (StockMovement);
- reserved (Stock.allocated) equals the sum of the stock's Allocation rows.

Prints "OK: ..." and exits 0, or lists every stock row at fault and exits 1. Each check is
one SQL statement, whatever the size of the ledger.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Stock, StockMovement
from alliance.inventory.selectors import allocation_mismatches


def _describe(stocks: dict[int, Stock], pk: int) -> str:
    stock = stocks.get(pk)
    if stock is None:
        return f"stock {pk}"
    return f"stock {pk} ({stock.variant.sku} in {stock.warehouse.code}, lot {stock.lot.code})"


class Command(BaseCommand):
    help = "Verify that on-hand stock equals the ledger and reserved stock its allocations."

    def handle(self, *args: Any, **options: Any) -> None:
        ledger = ledger_mismatches()
        reserved = allocation_mismatches()
        if not ledger and not reserved:
            self.stdout.write(
                self.style.SUCCESS(
                    f"OK: {Stock.objects.count()} stock rows, "
                    f"{StockMovement.objects.count()} movements, on hand equals ledger, "
                    "allocated equals allocations."
                )
            )
            return
        faulty = {pk for pk, *_ in ledger} | {pk for pk, *_ in reserved}
        stocks = Stock.objects.select_related("variant", "warehouse", "lot").in_bulk(faulty)
        for pk, on_hand, ledger_sum in sorted(ledger):
            self.stdout.write(
                f"MISMATCH {_describe(stocks, pk)}: on hand {on_hand}, ledger {ledger_sum} "
                f"(difference {on_hand - ledger_sum:+d})"
            )
        for pk, allocated, allocations in sorted(reserved):
            self.stdout.write(
                f"MISMATCH {_describe(stocks, pk)}: allocated {allocated}, "
                f"allocations {allocations} (difference {allocated - allocations:+d})"
            )
        raise CommandError(
            f"{len(ledger)} stock rows differ from the ledger, "
            f"{len(reserved)} from their allocations.",
            returncode=1,
        )
