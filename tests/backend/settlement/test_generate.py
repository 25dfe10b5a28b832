"""settlement_generate: which lines are settled, where, with which exact amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from alliance.core.errors import PermissionDenied
from alliance.core.money import quantize
from alliance.orders.fulfil import order_fulfil
from alliance.orders.models import OrderLine
from alliance.settlement.errors import (
    PeriodCodeInvalid,
    PeriodKindMismatch,
    PeriodNotStarted,
    PeriodOpen,
)
from alliance.settlement.models import SettlementPeriod, Statement, StatementLine
from alliance.settlement.periods import (
    period_code_for_date,
    period_span_after,
    period_span_containing,
)
from alliance.settlement.services import (
    commission_rule_set,
    settlement_confirm,
    settlement_generate,
)
from tests.backend.factories.accounts import consumer, secretary_of, staff
from tests.backend.factories.villages import VillageFactory
from tests.backend.settlement.helpers import (
    counter_sale,
    in_period,
    line_of,
    online_sale,
    product_variant,
    refund,
)

pytestmark = pytest.mark.django_db

P1, P2, P3 = "2025-03", "2025-04", "2025-05"


def lines_of(statement: Statement) -> list[tuple]:
    return list(
        statement.lines.order_by("pk").values_list(
            "kind", "sku", "quantity", "weight_g", "gross", "commission_rate", "commission", "net"
        )
    )


def amounts(*values: str) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


def totals(statement: Statement) -> tuple:
    statement.refresh_from_db()
    return (
        statement.line_count,
        statement.weight_g,
        statement.gross,
        statement.refunds,
        statement.commission,
        statement.net_payable,
    )


def test_a_paid_shipped_line_is_settled_with_exact_amounts():
    village = VillageFactory(code="610627100001")
    honey = product_variant(village=village, online="33.33", weight_g=750, at_village=10)
    order = online_sale([(honey, 3)], at=in_period(P1))  # 99.99, 2,250 g

    result = settlement_generate(actor=staff(), period_code=P1)

    assert result.period.code == P1 and result.lines_added == 1
    assert result.adjustments_added == 0 and result.deferred == []
    [statement] = result.statements
    assert statement.number == "JS2025-03-610627100001"
    assert statement.status == "draft" and statement.village == village
    # 99.99 x 5 % = 4.9995 -> 5.00 (half up); net 94.99
    assert lines_of(statement) == [
        (
            "sale",
            honey.sku,
            3,
            2250,
            Decimal("99.99"),
            Decimal("0.0500"),
            Decimal("5.00"),
            Decimal("94.99"),
        )
    ]
    assert totals(statement) == (
        1,
        2250,
        Decimal("99.99"),
        Decimal("0.00"),
        Decimal("5.00"),
        Decimal("94.99"),
    )
    line = statement.lines.get()
    assert line.order_line == line_of(order)
    assert line.order_number == order.number and line.channel == "online"
    assert line.occurred_at == in_period(P1)
    assert line.producer_id == honey.product.producer_id
    assert line.category.slug == "wild-honey"


def test_half_a_fen_rounds_up_and_its_refund_gives_back_exactly_that_fen():
    village = VillageFactory()
    cheap = product_variant(village=village, online="0.10", weight_g=100, at_village=5)
    order = online_sale([(cheap, 1)], at=in_period(P1))
    first = settlement_generate(actor=staff(), period_code=P1).statements[0]
    # 0.10 x 0.05 = 0.005 -> 0.01
    assert lines_of(first)[0][4:] == (
        Decimal("0.10"),
        Decimal("0.0500"),
        Decimal("0.01"),
        Decimal("0.09"),
    )
    settlement_confirm(actor=staff(), statement_id=first.pk)

    refund(order, "0.10", lines=[(line_of(order), 1)], at=in_period(P2))
    second = settlement_generate(actor=staff(), period_code=P2)

    # no sales in P2, only the adjustment: -0.10 gross, -0.01 commission, net -0.09 < 0:
    # the village is deferred, nothing is settled in P2
    assert second.statements == [] and [v.pk for v in second.deferred] == [village.pk]
    assert (second.lines_added, second.adjustments_added) == (0, 0)
    assert not StatementLine.objects.filter(kind="refund").exists()

    more = product_variant(village=village, online="1.00", weight_g=100, at_village=5)
    online_sale([(more, 1)], at=in_period(P3))
    third = settlement_generate(actor=staff(), period_code=P3)

    assert (third.lines_added, third.adjustments_added, third.deferred) == (1, 1, [])
    [statement] = third.statements
    assert sorted(lines_of(statement)) == [
        ("refund", cheap.sku, -1, -100, *amounts("-0.10", "0.0500", "-0.01", "-0.09")),
        ("sale", more.sku, 1, 100, *amounts("1.00", "0.0500", "0.05", "0.95")),
    ]
    # gross 1.00, refunds 0.10, commission 0.05 - 0.01 = 0.04, net 1.00 - 0.10 - 0.04 = 0.86
    assert totals(statement) == (2, 0, *amounts("1.00", "0.10", "0.04", "0.86"))


def test_commission_is_rounded_per_line_and_the_statement_sums_the_lines():
    village = VillageFactory()
    a = product_variant(village=village, online="0.10", weight_g=100, at_village=5)
    b = product_variant(village=village, online="0.10", weight_g=100, at_village=5)
    c = product_variant(village=village, online="0.10", weight_g=100, at_village=5)
    for variant in (a, b, c):
        online_sale([(variant, 1)], at=in_period(P1))

    [statement] = settlement_generate(actor=staff(), period_code=P1).statements

    # each line: 0.005 -> 0.01; the statement: 0.03 (not round(0.30 x 5 %) = 0.02)
    assert totals(statement) == (3, 300, *amounts("0.30", "0.00", "0.03", "0.27"))


def test_a_refund_in_the_same_period_as_its_sale_is_in_the_same_statement():
    village = VillageFactory()
    apples = product_variant(
        village=village, category_slug="apples", online="12.50", weight_g=5000, at_village=10
    )
    order = online_sale([(apples, 4)], at=in_period(P1, day=3))  # 50.00, 20 kg
    refund(order, "12.50", lines=[(line_of(order), 1)], at=in_period(P1, day=20))

    result = settlement_generate(actor=staff(), period_code=P1)

    assert (result.lines_added, result.adjustments_added) == (1, 1)
    [statement] = result.statements
    # sale 50.00 x 5 % = 2.50; refund -12.50 x 5 % = -0.625 -> -0.63 (computed on 12.50, negated)
    assert sorted(lines_of(statement)) == [
        ("refund", apples.sku, -1, -5000, *amounts("-12.50", "0.0500", "-0.63", "-11.87")),
        ("sale", apples.sku, 4, 20000, *amounts("50.00", "0.0500", "2.50", "47.50")),
    ]
    assert totals(statement) == (2, 15000, *amounts("50.00", "12.50", "1.87", "35.63"))
    refund_line = statement.lines.get(kind="refund")
    assert refund_line.refund_line.refund.amount == Decimal("12.50")
    assert refund_line.occurred_at == in_period(P1, day=20)


def test_a_refund_after_confirmation_is_an_adjustment_in_the_next_periods_statement():
    village = VillageFactory()
    millet = product_variant(
        village=village, category_slug="millet", online="20.00", weight_g=2500, at_village=20
    )
    sold = online_sale([(millet, 5)], at=in_period(P1))  # 100.00
    [march] = settlement_generate(actor=staff(), period_code=P1).statements
    settlement_confirm(actor=staff(), statement_id=march.pk)
    march_before = totals(march)

    refund(sold, "40.00", lines=[(line_of(sold), 2)], at=in_period(P2, day=2))
    online_sale([(millet, 3)], at=in_period(P2, day=5))  # 60.00
    result = settlement_generate(actor=staff(), period_code=P2)

    [april] = result.statements
    assert (result.lines_added, result.adjustments_added) == (1, 1)
    assert sorted(lines_of(april)) == [
        ("refund", millet.sku, -2, -5000, *amounts("-40.00", "0.0500", "-2.00", "-38.00")),
        ("sale", millet.sku, 3, 7500, *amounts("60.00", "0.0500", "3.00", "57.00")),
    ]
    assert totals(april) == (2, 2500, *amounts("60.00", "40.00", "1.00", "19.00"))
    assert totals(march) == march_before  # the confirmed statement did not change
    assert StatementLine.objects.filter(order_line=line_of(sold)).count() == 2  # sale + refund


def test_generating_twice_replaces_the_drafts_and_settles_each_line_once():
    village = VillageFactory()
    honey = product_variant(village=village, online="10.00", at_village=20)
    orders = [online_sale([(honey, 1)], at=in_period(P1, day=d)) for d in (1, 2, 3)]

    first = settlement_generate(actor=staff(), period_code=P1)
    online_sale([(honey, 2)], at=in_period(P1, day=4))  # arrives before the second run
    second = settlement_generate(actor=staff(), period_code=P1)

    assert first.lines_added == 3 and second.lines_added == 4
    assert Statement.objects.filter(period__code=P1).count() == 1
    assert not Statement.objects.filter(pk=first.statements[0].pk).exists()  # replaced
    [statement] = second.statements
    assert totals(statement)[:3] == (4, 2500, Decimal("50.00"))
    settled = StatementLine.objects.filter(kind="sale").values_list("order_line", flat=True)
    assert sorted(settled) == sorted(OrderLine.objects.values_list("pk", flat=True))
    assert len(set(settled)) == len(settled) == 4
    assert {o.number for o in orders} < set(statement.lines.values_list("order_number", flat=True))


def test_late_lines_are_caught_up_in_the_next_period():
    village = VillageFactory()
    beans = product_variant(village=village, category_slug="beans", online="8.00", at_village=9)
    online_sale([(beans, 1)], at=in_period(P1, day=5))
    [march] = settlement_generate(actor=staff(), period_code=P1).statements
    settlement_confirm(actor=staff(), statement_id=march.pk)
    # shipped in March too, but recorded after March was generated and confirmed
    late = online_sale([(beans, 2)], at=in_period(P1, day=30))

    again = settlement_generate(actor=staff(), period_code=P1)
    assert again.statements == [march] and again.lines_added == 0  # confirmed: untouched
    april = settlement_generate(actor=staff(), period_code=P2).statements[0]

    assert april.lines.get().order_line == line_of(late)
    assert april.lines.get().occurred_at == in_period(P1, day=30)
    march.refresh_from_db()
    assert march.line_count == 1


def test_unpaid_unshipped_and_later_lines_are_not_settled():
    village = VillageFactory()
    honey = product_variant(village=village, online="10.00", at_village=50)
    other = product_variant(village=village, online="7.00", at_village=50)
    online_sale([(honey, 1)], pay=False)  # not paid
    online_sale([(honey, 2)], ship=False)  # paid, not shipped
    partly = online_sale([(honey, 1), (other, 1)], ship=False)
    order_fulfil(
        actor=staff(),
        order_id=partly.pk,
        warehouse_id=line_of(partly, honey).lots.get().warehouse_id,
        lines=[(line_of(partly, honey).pk, 1)],
    )
    OrderLine.objects.filter(order=partly, fulfilled_at__isnull=False).update(
        fulfilled_at=in_period(P1)
    )
    online_sale([(other, 3)], at=in_period(P2))  # done after P1's end

    result = settlement_generate(actor=staff(), period_code=P1)

    [statement] = result.statements
    assert [line.order_line for line in statement.lines.all()] == [line_of(partly, honey)]
    assert result.lines_added == 1


def test_counter_sales_are_settled_in_the_base_channel():
    village = VillageFactory()
    potatoes = product_variant(
        village=village,
        category_slug="root-vegetables",
        online="3.00",
        base="2.40",
        weight_g=25000,
        at_base=100,
    )
    sale = counter_sale([(potatoes, 40)], at=in_period(P1))  # 96.00, 1 tonne

    [statement] = settlement_generate(actor=staff(), period_code=P1).statements

    line = statement.lines.get()
    assert (line.channel, line.order_number, line.quantity, line.weight_g) == (
        "base",
        sale.number,
        40,
        1_000_000,
    )
    assert (line.gross, line.commission, line.net) == amounts("96.00", "4.80", "91.20")


def test_a_money_only_refund_adjusts_value_but_not_weight():
    village = VillageFactory()
    fungi = product_variant(
        village=village, category_slug="shiitake", online="30.00", weight_g=1000, at_village=5
    )
    order = online_sale([(fungi, 2)], at=in_period(P1))
    refund(order, "5.00", at=in_period(P1, day=25))  # no lines named: spread, quantity 0

    [statement] = settlement_generate(actor=staff(), period_code=P1).statements

    adjustment = statement.lines.get(kind="refund")
    assert (adjustment.quantity, adjustment.weight_g, adjustment.gross) == (
        0,
        0,
        Decimal("-5.00"),
    )
    assert totals(statement) == (2, 2000, *amounts("60.00", "5.00", "2.75", "52.25"))


def test_one_statement_per_village_with_sales_and_none_for_the_others():
    east, west, idle = (
        VillageFactory(code="610627200001"),
        VillageFactory(code="610627200002"),
        VillageFactory(),
    )
    online_sale(
        [(product_variant(village=east, online="10.00", at_village=5), 1)], at=in_period(P1)
    )
    online_sale(
        [(product_variant(village=west, online="20.00", at_village=5), 2)], at=in_period(P1)
    )

    result = settlement_generate(actor=staff(), period_code=P1)

    assert [(s.village, s.gross) for s in result.statements] == [
        (east, Decimal("10.00")),
        (west, Decimal("40.00")),
    ]
    assert not Statement.objects.filter(village=idle).exists()


def test_a_village_with_a_confirmed_statement_gets_nothing_more_in_that_period():
    village, other = VillageFactory(), VillageFactory()
    honey = product_variant(village=village, online="10.00", at_village=10)
    jujubes = product_variant(village=other, category_slug="jujubes", online="15.00", at_village=10)
    online_sale([(honey, 1)], at=in_period(P1))
    first = settlement_generate(actor=staff(), period_code=P1)
    confirmed = next(s for s in first.statements if s.village == village)
    settlement_confirm(actor=staff(), statement_id=confirmed.pk)
    online_sale([(honey, 1)], at=in_period(P1, day=20))
    online_sale([(jujubes, 1)], at=in_period(P1, day=20))

    second = settlement_generate(actor=staff(), period_code=P1)

    assert [(s.village, s.status, s.line_count) for s in second.statements] == sorted(
        [(village, "confirmed", 1), (other, "draft", 1)], key=lambda t: t[0].code
    )
    assert second.lines_added == 1  # the village's late line waits for the next period
    assert settlement_generate(actor=staff(), period_code=P2).lines_added == 1


def test_period_codes_are_checked_and_future_periods_refused(settings):
    before = (SettlementPeriod.objects.count(), Statement.objects.count())
    with pytest.raises(PeriodCodeInvalid) as bad:
        settlement_generate(actor=staff(), period_code="2025-13")
    assert bad.value.code == "PERIOD_CODE_INVALID" and bad.value.field == "period"
    with pytest.raises(PeriodKindMismatch) as kind:
        settlement_generate(actor=staff(), period_code="2025-W10")
    assert "month" in kind.value.message and "2026-10" in kind.value.message
    future = period_span_after(period_span_containing(timezone.now()))
    with pytest.raises(PeriodNotStarted) as not_started:
        settlement_generate(actor=staff(), period_code=future.code)
    assert not_started.value.code == "PERIOD_NOT_STARTED"
    assert (SettlementPeriod.objects.count(), Statement.objects.count()) == before

    settings.SETTLEMENT_PERIOD = "week"
    with pytest.raises(PeriodKindMismatch):
        settlement_generate(actor=staff(), period_code=P1)


def test_the_open_period_can_be_generated_as_drafts_only():
    village = VillageFactory()
    honey = product_variant(village=village, online="10.00", at_village=5)
    online_sale([(honey, 1)])  # done now
    code = period_code_for_date(timezone.localdate())

    [statement] = settlement_generate(actor=staff(), period_code=code).statements

    assert statement.status == "draft" and statement.line_count == 1
    with pytest.raises(PeriodOpen) as refused:
        settlement_confirm(actor=staff(), statement_id=statement.pk)
    assert refused.value.code == "PERIOD_OPEN"
    statement.refresh_from_db()
    assert statement.status == "draft"


@pytest.mark.parametrize("who", ["consumer", "secretary", "anonymous"])
def test_only_staff_generate(who):
    village = VillageFactory()
    online_sale([(product_variant(village=village, at_village=5), 1)], at=in_period(P1))
    actor = {"consumer": consumer, "secretary": lambda: secretary_of(village)}.get(
        who, lambda: None
    )()
    if actor is None:
        actor = AnonymousUser()

    with pytest.raises(PermissionDenied):
        settlement_generate(actor=actor, period_code=P1)
    assert not Statement.objects.exists() and not SettlementPeriod.objects.exists()


def test_sql_rounding_is_half_up_like_core_money_for_sales_and_refunds():
    village = VillageFactory()
    commission_rule_set(actor=staff(), rate="0.0125", village_id=village.pk)
    prices = ["0.20", "0.40", "1.00", "1.20", "3.60", "0.01", "99.96"]
    orders = [
        online_sale(
            [(product_variant(village=village, online=price, at_village=2), 1)],
            at=in_period(P1, day=4),
        )
        for price in prices
    ]
    for order in orders:
        refund(order, str(order.total), lines=[(line_of(order), 1)], at=in_period(P1, day=8))

    [statement] = settlement_generate(actor=staff(), period_code=P1).statements

    rate = Decimal("0.0125")
    for line in statement.lines.all():
        exact = abs(line.gross) * rate  # e.g. 0.40 x 0.0125 = 0.005 -> 0.01
        expected = quantize(exact) if line.kind == "sale" else -quantize(exact)
        assert (line.commission_rate, line.commission) == (rate, expected), line
        assert line.net == line.gross - line.commission
    assert sorted(
        (line.gross, line.commission) for line in statement.lines.filter(kind="sale")
    ) == [
        (Decimal("0.01"), Decimal("0.00")),
        (Decimal("0.20"), Decimal("0.00")),  # 0.0025
        (Decimal("0.40"), Decimal("0.01")),  # 0.005
        (Decimal("1.00"), Decimal("0.01")),  # 0.0125
        (Decimal("1.20"), Decimal("0.02")),  # 0.015
        (Decimal("3.60"), Decimal("0.05")),  # 0.045
        (Decimal("99.96"), Decimal("1.25")),  # 1.2495
    ]
    # everything given back in the same month: nothing is owed either way
    assert totals(statement)[2:] == amounts("106.37", "106.37", "0.00", "0.00")
