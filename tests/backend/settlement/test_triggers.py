"""Below the API: PostgreSQL triggers (migration settlement 0002) keep confirmed statements,
their lines and payouts immutable whatever code writes to the tables (ORM or raw SQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from alliance.settlement.models import Payout, Statement, StatementLine
from alliance.settlement.services import (
    settlement_confirm,
    settlement_generate,
    settlement_payout_create,
)
from tests.backend.factories.accounts import staff
from tests.backend.factories.villages import VillageFactory
from tests.backend.settlement.helpers import in_period, online_sale, product_variant

pytestmark = pytest.mark.django_db

P1 = "2025-03"


@contextmanager
def refused(match: str) -> Iterator[None]:
    """The write inside must fail with the trigger's message (its savepoint rolled back)."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        yield


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def state():
    return (
        sorted(
            Statement.objects.values_list(
                "pk", "status", "gross", "commission", "net_payable", "paid_amount", "line_count"
            )
        ),
        sorted(StatementLine.objects.values_list("pk", "statement", "gross", "commission")),
        sorted(Payout.objects.values_list("pk", "amount")),
    )


@pytest.fixture
def statements():
    """Two villages' March statements: `confirmed` (net 95.00) and `draft` (net 19.00)."""
    a, b = VillageFactory(code="610627300001"), VillageFactory(code="610627300002")
    online_sale([(product_variant(village=a, online="50.00", at_village=5), 2)], at=in_period(P1))
    online_sale([(product_variant(village=b, online="20.00", at_village=5), 1)], at=in_period(P1))
    first, second = settlement_generate(actor=staff(), period_code=P1).statements
    settlement_confirm(actor=staff(), statement_id=first.pk)
    first.refresh_from_db()
    return first, second


def test_lines_of_a_confirmed_statement_cannot_be_inserted_updated_or_deleted(statements):
    confirmed, draft = statements
    line = confirmed.lines.get()
    before = state()

    with refused("settlement: statement JS2025-03-610627300001 \\(confirmed\\) is not a draft"):
        StatementLine.objects.filter(pk=line.pk).update(
            gross=Decimal("1.00"), commission=Decimal("0.05"), net=Decimal("0.95")
        )
    with refused("its lines cannot be deleted"):
        StatementLine.objects.filter(pk=line.pk).delete()
    with refused("its lines cannot change"):  # moving a draft's line into it
        StatementLine.objects.filter(statement=draft).update(statement=confirmed)
    unsettled = online_sale(
        [(product_variant(village=confirmed.village, online="1.00", at_village=1), 1)],
        at=in_period(P1, day=20),
    ).lines.get()
    with refused("no line can be added to it"):
        sql(
            "INSERT INTO settlement_statementline (statement_id, kind, order_line_id, order_number,"
            " channel, producer_id, category_id, sku, product_name, occurred_at, quantity,"
            " weight_g, gross, commission_rate, commission, net)"
            " SELECT %s, 'sale', id, 'X', 'online', producer_id, category_id, sku, product_name,"
            " fulfilled_at, quantity, weight_g, line_total, 0, 0, line_total"
            " FROM orders_orderline WHERE id = %s",
            [confirmed.pk, unsettled.pk],
        )
    assert state() == before


def test_a_draft_and_its_lines_may_change(statements):
    _, draft = statements
    StatementLine.objects.filter(statement=draft).update(
        commission=Decimal("0.00"), net=Decimal("20.00")
    )
    Statement.objects.filter(pk=draft.pk).update(generated_at=timezone.now())
    StatementLine.objects.filter(statement=draft).delete()
    Statement.objects.filter(pk=draft.pk).delete()
    assert not Statement.objects.filter(pk=draft.pk).exists()


def test_a_confirmed_statement_cannot_change_or_be_deleted(statements):
    confirmed, _ = statements
    before = state()
    for change in [
        {"gross": Decimal("1000.00"), "net_payable": Decimal("1000.00") - Decimal("5.00")},
        {"line_count": 7},
        {"weight_g": 1},
        {"number": "JS-FORGED"},
        {"village": VillageFactory()},
        {"confirmed_at": None},
        {"status": "draft"},
    ]:
        with refused("settlement: statement JS2025-03-610627300001"):
            Statement.objects.filter(pk=confirmed.pk).update(**change)
    with refused("it cannot be deleted"):
        sql("DELETE FROM settlement_statement WHERE id = %s", [confirmed.pk])
    with refused("is not the sum of its payouts"):
        Statement.objects.filter(pk=confirmed.pk).update(paid_amount=Decimal("95.00"))
    with refused("is paid only when its payouts"):
        Statement.objects.filter(pk=confirmed.pk).update(status="paid")
    assert state() == before


def test_status_only_moves_draft_confirmed_paid(statements):
    confirmed, draft = statements
    with refused("goes from draft to confirmed, not to paid"):
        Statement.objects.filter(pk=draft.pk).update(status="paid")
    with refused("must be created as a draft"):
        sql(
            "INSERT INTO settlement_statement (created_at, updated_at, period_id, village_id,"
            " number, status, line_count, weight_g, gross, refunds, commission, net_payable,"
            " paid_amount) SELECT now(), now(), period_id, %s, 'JS-X', 'confirmed', 0, 0, 0, 0,"
            " 0, 0, 0 FROM settlement_statement WHERE id = %s",
            [VillageFactory().pk, draft.pk],
        )
    with refused("its totals are not the sums of its lines"):
        Statement.objects.filter(pk=draft.pk).update(
            status="confirmed", gross=Decimal("21.00"), net_payable=Decimal("20.00")
        )

    settlement_payout_create(
        actor=staff(),
        statement_id=confirmed.pk,
        amount="95.00",
        paid_on=date(2025, 4, 2),
        method="cash",
    )
    confirmed.refresh_from_db()
    assert confirmed.status == "paid"
    before = state()
    with refused("is paid: it cannot change"):
        Statement.objects.filter(pk=confirmed.pk).update(status="confirmed")
    with refused("is paid: it cannot change"):
        Statement.objects.filter(pk=confirmed.pk).update(paid_at=None)
    assert state() == before


def test_payouts_cannot_change_be_deleted_overpay_or_pay_a_draft(statements):
    confirmed, draft = statements
    payout = settlement_payout_create(
        actor=staff(),
        statement_id=confirmed.pk,
        amount="90.00",
        paid_on=date(2025, 4, 2),
        method="cash",
    )
    before = state()

    with refused("payouts are never changed or deleted \\(UPDATE refused\\)"):
        Payout.objects.filter(pk=payout.pk).update(amount=Decimal("1.00"))
    with refused("payouts are never changed or deleted \\(DELETE refused\\)"):
        sql("DELETE FROM settlement_payout WHERE id = %s", [payout.pk])
    columns = "(created_at, updated_at, statement_id, amount, paid_on, method, reference)"
    with refused("a payout of 5.01 would overpay statement JS2025-03-610627300001"):
        sql(
            f"INSERT INTO settlement_payout {columns}"
            " VALUES (now(), now(), %s, 5.01, '2025-04-03', 'cash', '')",
            [confirmed.pk],
        )
    with refused("is draft: payouts are recorded for confirmed statements only"):
        sql(
            f"INSERT INTO settlement_payout {columns}"
            " VALUES (now(), now(), %s, 1.00, '2025-04-03', 'cash', '')",
            [draft.pk],
        )
    assert state() == before


def test_a_maintenance_job_may_clear_settlement_when_it_says_so(statements):
    confirmed, _ = statements
    with refused("cannot be deleted"):
        StatementLine.objects.filter(statement=confirmed).delete()
        Statement.objects.filter(pk=confirmed.pk).delete()

    with transaction.atomic():
        sql("SET LOCAL alliance.settlement_maintenance = 'on'")
        StatementLine.objects.all().delete()
        Statement.objects.all().delete()
        sql("SET LOCAL alliance.settlement_maintenance = 'off'")

    assert not Statement.objects.exists()
