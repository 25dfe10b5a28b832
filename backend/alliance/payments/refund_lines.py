"""Which order lines a refund's money belongs to (RefundLine rows), for settlement.

Rules (stated once, tested in tests/backend/orders/test_refund_lines.py):
1. Lines named by the refund (with the quantity given back) come first, in the order named:
   each gets min(value of that quantity at the line's unit price, the line's value not yet
   refunded).
2. What is left is spread over all the order's lines in proportion to their value not yet
   refunded, rounded down to the fen; the fen left over by rounding go one each to the lines
   with the largest remainders (ties: lower line id first).
3. Whatever the lines cannot take (their value is all refunded) was a shipping refund: no
   village is owed shipping, so no RefundLine carries it.
Refunds that failed do not count as refunded value.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from django.db.models import Sum

from alliance.catalog.pricing import line_total
from alliance.core.money import quantize
from alliance.orders.models import OrderLine
from alliance.payments.models import Refund, RefundLine

FEN = Decimal("0.01")


def _remaining_by_line(lines: Sequence[OrderLine], refund: Refund) -> dict[int, Decimal]:
    refunded = dict(
        RefundLine.objects.filter(order_line__in=[line.pk for line in lines])
        .exclude(refund__status=Refund.Status.FAILED)
        .exclude(refund=refund)
        .values_list("order_line")
        .annotate(total=Sum("amount"))
        .values_list("order_line", "total")
    )
    return {line.pk: line.line_total - (refunded.get(line.pk) or Decimal(0)) for line in lines}


def refund_lines_assign(
    refund: Refund, named: Sequence[tuple[OrderLine, int]] = ()
) -> list[RefundLine]:
    """Write the refund's RefundLine rows by the rules above (once per refund)."""
    if RefundLine.objects.filter(refund=refund).exists():
        return list(RefundLine.objects.filter(refund=refund))
    order_lines = list(OrderLine.objects.filter(order_id=refund.payment.order_id).order_by("pk"))
    remaining = _remaining_by_line(order_lines, refund)
    left = quantize(refund.amount)
    amounts: dict[int, Decimal] = {}
    quantities: dict[int, int] = {}

    for line, quantity in named:
        value = line_total(unit_price=line.unit_price, quantity=quantity, sold_by=line.sold_by)
        take = min(value, remaining[line.pk], left)
        quantities[line.pk] = quantity
        if take > 0:
            amounts[line.pk] = amounts.get(line.pk, Decimal(0)) + take
            remaining[line.pk] -= take
            left -= take

    pool = sum((value for value in remaining.values() if value > 0), Decimal(0))
    if left > 0 and pool > 0:
        spread = min(left, pool)
        shares: list[tuple[Decimal, int, Decimal]] = []
        for pk, value in remaining.items():
            if value <= 0:
                continue
            exact = spread * value / pool
            floor = exact.quantize(FEN, rounding=ROUND_DOWN)
            shares.append((exact - floor, pk, floor))
        fen_left = int((spread - sum(s[2] for s in shares)) / FEN)
        shares.sort(key=lambda s: (-s[0], s[1]))
        for index, (_, pk, floor) in enumerate(shares):
            share = floor + (FEN if index < fen_left else 0)
            share = min(share, remaining[pk])
            if share > 0:
                amounts[pk] = amounts.get(pk, Decimal(0)) + share

    rows = [
        RefundLine(refund=refund, order_line_id=pk, amount=amount, quantity=quantities.get(pk, 0))
        for pk, amount in sorted(amounts.items())
    ]
    return RefundLine.objects.bulk_create(rows)
