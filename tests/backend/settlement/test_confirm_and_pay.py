"""settlement_confirm and settlement_payout_create: drafts are confirmed by staff, confirmed
statements are paid in one or more payouts, never more than their net payable; every refusal
changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alliance.core.errors import NotFound, PermissionDenied
from alliance.settlement.errors import (
    InvalidAmount,
    InvalidDate,
    InvalidPayoutMethod,
    Overpayment,
    PayoutReferenceRequired,
    StatementAlreadyPaid,
    StatementNotConfirmed,
    StatementNotDraft,
)
from alliance.settlement.models import Payout, Statement, StatementLine
from alliance.settlement.services import (
    settlement_confirm,
    settlement_generate,
    settlement_payout_create,
)
from tests.backend.factories.accounts import operator_of, secretary_of, staff
from tests.backend.factories.villages import ProducerFactory, VillageFactory
from tests.backend.settlement.helpers import (
    in_period,
    line_of,
    online_sale,
    product_variant,
    refund,
)

pytestmark = pytest.mark.django_db

P1, P2 = "2025-03", "2025-04"
PAID_ON = date(2025, 4, 10)


def snapshot():
    return (
        sorted(
            Statement.objects.values_list(
                "pk", "status", "paid_amount", "paid_at", "confirmed_at", "net_payable"
            )
        ),
        sorted(Payout.objects.values_list("pk", "amount")),
        StatementLine.objects.count(),
    )


@pytest.fixture
def statement():
    """A draft of March: one line of 100.00, commission 5.00, net payable 95.00."""
    village = VillageFactory()
    honey = product_variant(village=village, online="50.00", at_village=10)
    online_sale([(honey, 2)], at=in_period(P1))
    [draft] = settlement_generate(actor=staff(), period_code=P1).statements
    assert draft.net_payable == Decimal("95.00")
    return draft


@pytest.fixture
def confirmed(statement):
    return settlement_confirm(actor=staff(), statement_id=statement.pk)


def pay(statement, amount, **kwargs):
    values = {"paid_on": PAID_ON, "method": "bank_transfer", "reference": "ICBC-20250410-001"}
    values.update(kwargs)
    return settlement_payout_create(
        actor=staff(), statement_id=statement.pk, amount=amount, **values
    )


def test_staff_confirm_a_draft(statement):
    clerk = staff()
    confirmed = settlement_confirm(actor=clerk, statement_id=statement.pk)

    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed" and confirmed.confirmed_by == clerk
    assert confirmed.confirmed_at is not None and confirmed.paid_at is None

    before = snapshot()
    with pytest.raises(StatementNotDraft) as again:
        settlement_confirm(actor=clerk, statement_id=statement.pk)
    assert again.value.code == "STATEMENT_NOT_DRAFT"
    assert snapshot() == before


@pytest.mark.parametrize("role", ["secretary", "operator"])
def test_only_staff_confirm(statement, role):
    village = statement.village
    actor = (
        secretary_of(village)
        if role == "secretary"
        else operator_of(ProducerFactory(village=village))
    )
    before = snapshot()
    with pytest.raises(PermissionDenied):
        settlement_confirm(actor=actor, statement_id=statement.pk)
    with pytest.raises(PermissionDenied):
        settlement_payout_create(
            actor=actor,
            statement_id=statement.pk,
            amount="1.00",
            paid_on=PAID_ON,
            method="cash",
        )
    assert snapshot() == before


def test_a_statement_with_nothing_to_pay_is_paid_on_confirmation():
    village = VillageFactory()
    honey = product_variant(village=village, online="10.00", at_village=5)
    order = online_sale([(honey, 1)], at=in_period(P1, day=2))
    refund(order, "10.00", lines=[(line_of(order), 1)], at=in_period(P1, day=9))
    # sold and given back in the same month: gross 10.00, refunds 10.00, commission 0.00
    [statement] = settlement_generate(actor=staff(), period_code=P1).statements
    assert statement.net_payable == Decimal("0.00") and statement.line_count == 2

    done = settlement_confirm(actor=staff(), statement_id=statement.pk)

    done.refresh_from_db()
    assert done.status == "paid" and done.paid_at is not None and done.paid_amount == 0
    with pytest.raises(StatementAlreadyPaid):
        pay(done, "0.01")


def test_payouts_until_the_net_payable_make_the_statement_paid(confirmed):
    first = pay(confirmed, Decimal("60.00"), reference=" ICBC-1 ")
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.paid_amount) == ("confirmed", Decimal("60.00"))
    assert first.reference == "ICBC-1" and first.method == "bank_transfer"

    second = pay(confirmed, "35.00", method="cash", reference="")
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.paid_amount) == ("paid", Decimal("95.00"))
    assert confirmed.paid_at is not None
    assert [p.amount for p in confirmed.payouts.all()] == [Decimal("60.00"), Decimal("35.00")]
    assert second.created_by.role == "staff"


def test_overpayment_is_refused_and_nothing_is_written(confirmed):
    pay(confirmed, "90.00")
    before = snapshot()

    with pytest.raises(Overpayment) as refused:
        pay(confirmed, "5.01")

    assert refused.value.code == "OVERPAYMENT" and refused.value.field == "amount"
    assert "5.00 remains" in refused.value.message
    assert snapshot() == before
    pay(confirmed, "5.00")
    confirmed.refresh_from_db()
    assert confirmed.status == "paid"
    with pytest.raises(StatementAlreadyPaid):
        pay(confirmed, "0.01")
    assert Payout.objects.count() == 2


def test_a_draft_cannot_be_paid(statement):
    before = snapshot()
    with pytest.raises(StatementNotConfirmed) as refused:
        pay(statement, "1.00")
    assert refused.value.code == "STATEMENT_NOT_CONFIRMED"
    assert snapshot() == before


@pytest.mark.parametrize(
    "changes, error, field",
    [
        ({"amount": 10.5}, InvalidAmount, "amount"),  # a float
        ({"amount": "10.005"}, InvalidAmount, "amount"),
        ({"amount": "0"}, InvalidAmount, "amount"),
        ({"amount": "-1.00"}, InvalidAmount, "amount"),
        ({"amount": "ten"}, InvalidAmount, "amount"),
        ({"amount": "Infinity"}, InvalidAmount, "amount"),
        ({"method": "alipay"}, InvalidPayoutMethod, "method"),
        ({"method": "bank_transfer", "reference": "  "}, PayoutReferenceRequired, "reference"),
        ({"reference": "x" * 129}, PayoutReferenceRequired, "reference"),
        ({"paid_on": date(2025, 3, 31)}, InvalidDate, "paidOn"),  # inside the period
        ({"paid_on": "2025-04-10"}, InvalidDate, "paidOn"),  # not a date
    ],
)
def test_payout_input_is_checked_and_nothing_is_written(confirmed, changes, error, field):
    values = {"amount": "10.00"} | changes
    before = snapshot()
    with pytest.raises(error) as refused:
        pay(confirmed, values.pop("amount"), **values)
    assert refused.value.field == field
    assert snapshot() == before


def test_a_payout_in_the_future_is_refused(confirmed):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(InvalidDate):
        pay(confirmed, "1.00", paid_on=tomorrow)
    assert not Payout.objects.exists()


def test_unknown_statements_are_not_found():
    with pytest.raises(NotFound):
        settlement_confirm(actor=staff(), statement_id=987654)
    with pytest.raises(NotFound):
        pay(Statement(pk=987654), "1.00")


def test_a_confirmed_statement_is_not_changed_by_later_refunds_or_generation(confirmed):
    order_line = confirmed.lines.get().order_line
    before = snapshot()

    refund(order_line.order, "50.00", lines=[(line_of(order_line.order), 1)], at=in_period(P2))
    settlement_generate(actor=staff(), period_code=P1)

    assert snapshot()[0] == before[0] and snapshot()[2] == before[2]
