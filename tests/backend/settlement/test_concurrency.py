"""Concurrent runs on real connections: generation of one period by several staff at once,
with the next period generated at the same time, settles every line exactly once; two
payouts racing for the same remainder cannot both pass."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q, Sum

from alliance.core.errors import DomainError
from alliance.orders.models import OrderLine
from alliance.settlement.models import Payout, Statement, StatementLine
from alliance.settlement.periods import period_for_code
from alliance.settlement.services import (
    settlement_confirm,
    settlement_generate,
    settlement_payout_create,
)
from tests.backend.factories.accounts import staff
from tests.backend.factories.villages import VillageFactory
from tests.backend.settlement.helpers import (
    in_period,
    line_of,
    online_sale,
    product_variant,
    refund,
)

P1, P2 = "2025-03", "2025-04"
CONCURRENT = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def run_at_once(jobs):
    """Start every job at the same moment, each on its own connection; return their
    results and the exceptions raised (as values)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # reported to the test as a value
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a job hung"
    return results


def assert_statements_are_sums_of_their_lines():
    for statement in Statement.objects.annotate(
        n=Count("lines"),
        sales=Sum("lines__gross", filter=Q(lines__kind="sale")),
        back=Sum("lines__gross", filter=Q(lines__kind="refund")),
        fees=Sum("lines__commission"),
    ):
        assert statement.line_count == statement.n
        assert statement.gross == (statement.sales or 0)
        assert statement.refunds == -(statement.back or 0)
        assert statement.commission == statement.fees


@CONCURRENT
def test_six_runs_of_one_period_and_one_of_the_next_settle_each_line_once():
    clerk = staff()
    villages = [VillageFactory() for _ in range(3)]
    variants = [product_variant(village=v, online="12.34", at_village=100) for v in villages]
    for day in (3, 11, 19, 27):
        for variant in variants:
            online_sale([(variant, 2)], at=in_period(P1, day=day))
    for variant in variants:
        online_sale([(variant, 1)], at=in_period(P2, day=4))
    early = online_sale([(variants[0], 5)], at=in_period(P1, day=1))
    refund(early, "12.34", lines=[(line_of(early), 1)], at=in_period(P1, day=2))
    all_lines = set(OrderLine.objects.values_list("pk", flat=True))
    period_for_code(P1)  # stored beforehand: its creation does not queue the runs
    period_for_code(P2)

    jobs = [lambda: settlement_generate(actor=clerk, period_code=P1) for _ in range(6)]
    jobs.append(lambda: settlement_generate(actor=clerk, period_code=P2))
    results = run_at_once(jobs)

    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    settled = Counter(
        StatementLine.objects.filter(kind="sale").values_list("order_line_id", flat=True)
    )
    assert set(settled) == all_lines and set(settled.values()) == {1}
    assert StatementLine.objects.filter(kind="refund").count() == 1
    per_period_village = Counter(Statement.objects.values_list("period__code", "village_id"))
    assert set(per_period_village.values()) == {1}
    # April's lines can only be in April; March's are in March or (if April's run took
    # them first) in April
    april_start = in_period(P2, day=1, hour=0)
    assert not StatementLine.objects.filter(
        occurred_at__gte=april_start, statement__period__code=P1
    ).exists()
    assert_statements_are_sums_of_their_lines()

    # once the dust settles, a sequential rerun of P1 changes no line's statement period
    before = sorted(
        StatementLine.objects.values_list("order_line_id", "kind", "statement__period__code")
    )
    settlement_generate(actor=clerk, period_code=P1)
    after = sorted(
        StatementLine.objects.values_list("order_line_id", "kind", "statement__period__code")
    )
    assert after == before


@CONCURRENT
def test_two_payouts_racing_for_the_same_remainder_cannot_both_pass():
    village = VillageFactory()
    online_sale(
        [(product_variant(village=village, online="50.00", at_village=5), 2)], at=in_period(P1)
    )
    clerk = staff()
    [statement] = settlement_generate(actor=clerk, period_code=P1).statements
    settlement_confirm(actor=clerk, statement_id=statement.pk)  # net payable 95.00

    def pay():
        return settlement_payout_create(
            actor=clerk,
            statement_id=statement.pk,
            amount=Decimal("60.00"),
            paid_on=date(2025, 4, 5),
            method="cash",
        )

    results = run_at_once([pay for _ in range(4)])

    paid = [r for r in results if isinstance(r, Payout)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(paid) == 1 and len(refused) == 3
    assert {e.code for e in refused} == {"OVERPAYMENT"}
    statement.refresh_from_db()
    assert statement.paid_amount == Decimal("60.00") and statement.status == "confirmed"
    assert Payout.objects.count() == 1
