"""Commission rules: the most specific rule wins; the rate is copied onto each line and a
later change of rule never changes a settled amount; rules are set and deleted by staff."""

from __future__ import annotations

from decimal import Decimal

import pytest

from alliance.core.errors import NotFound, PermissionDenied
from alliance.settlement.errors import DefaultRuleRequired, InvalidRate, NoDefaultRule
from alliance.settlement.models import CommissionRule, StatementLine
from alliance.settlement.rules import RateBook, commission_rate_for
from alliance.settlement.services import (
    commission_rule_delete,
    commission_rule_set,
    settlement_confirm,
    settlement_generate,
)
from tests.backend.factories.accounts import operator_of, secretary_of, staff
from tests.backend.factories.catalog import category
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


def rate(village, slug):
    return commission_rate_for(village_id=village.pk, category_id=category(slug).pk)


def test_the_default_rule_is_five_percent_from_the_migration():
    default = CommissionRule.objects.get(village=None, category=None)
    assert default.rate == Decimal("0.0500")
    assert rate(VillageFactory(), "apples") == Decimal("0.0500")


def test_the_most_specific_rule_wins():
    actor = staff()
    village, other = VillageFactory(), VillageFactory()
    commission_rule_set(actor=actor, rate="0.0800", category_id=category("fruit").pk)
    commission_rule_set(actor=actor, rate="0.0700", category_id=category("apples").pk)
    commission_rule_set(actor=actor, rate="0.0300", village_id=village.pk)
    commission_rule_set(
        actor=actor, rate="0.0200", village_id=village.pk, category_id=category("fruit").pk
    )

    # other village: category rules, nearest ancestor first, then the default
    assert rate(other, "apples") == Decimal("0.0700")  # apples
    assert rate(other, "pears") == Decimal("0.0800")  # fruit (parent of pears)
    assert rate(other, "fruit") == Decimal("0.0800")
    assert rate(other, "millet") == Decimal("0.0500")  # default
    # the village: village + category (subtree) beats village alone beats category alone
    assert rate(village, "apples") == Decimal("0.0200")  # village + fruit beats apples alone
    assert rate(village, "pears") == Decimal("0.0200")
    assert rate(village, "millet") == Decimal("0.0300")  # village alone beats the default

    commission_rule_set(
        actor=actor, rate="0.0100", village_id=village.pk, category_id=category("apples").pk
    )
    assert rate(village, "apples") == Decimal("0.0100")  # nearest category first
    assert rate(village, "pears") == Decimal("0.0200")


def test_generation_copies_the_rate_and_a_later_rule_change_changes_no_settled_line():
    village = VillageFactory()
    commission_rule_set(actor=staff(), rate="0.1000", village_id=village.pk)
    apples = product_variant(village=village, category_slug="apples", online="10.00", at_village=20)
    online_sale([(apples, 1)], at=in_period(P1))
    [march] = settlement_generate(actor=staff(), period_code=P1).statements
    settlement_confirm(actor=staff(), statement_id=march.pk)

    commission_rule_set(actor=staff(), rate="0.2000", village_id=village.pk)
    online_sale([(apples, 1)], at=in_period(P2))
    [april] = settlement_generate(actor=staff(), period_code=P2).statements

    march_line = march.lines.get()
    assert (march_line.commission_rate, march_line.commission) == (
        Decimal("0.1000"),
        Decimal("1.00"),
    )
    april_line = april.lines.get()
    assert (april_line.commission_rate, april_line.commission) == (
        Decimal("0.2000"),
        Decimal("2.00"),
    )
    march.refresh_from_db()
    assert march.commission == Decimal("1.00")


def test_a_refund_adjustment_uses_the_rate_of_its_sale_line_not_todays_rule():
    village = VillageFactory()
    honey = product_variant(village=village, online="10.00", at_village=20)
    order = online_sale([(honey, 2)], at=in_period(P1))
    [march] = settlement_generate(actor=staff(), period_code=P1).statements
    settlement_confirm(actor=staff(), statement_id=march.pk)
    commission_rule_set(actor=staff(), rate="0.2500", village_id=village.pk)

    refund(order, "10.00", lines=[(line_of(order), 1)], at=in_period(P2))
    online_sale([(honey, 3)], at=in_period(P2))
    settlement_generate(actor=staff(), period_code=P2)

    adjustment = StatementLine.objects.get(kind="refund")
    assert (adjustment.commission_rate, adjustment.commission) == (
        Decimal("0.0500"),
        Decimal("-0.50"),
    )
    sale = StatementLine.objects.get(kind="sale", statement__period__code=P2)
    assert sale.commission_rate == Decimal("0.2500")


def test_rule_operations_are_staff_only_and_validated():
    village = VillageFactory()
    before = sorted(CommissionRule.objects.values_list("pk", "rate"))
    for actor in (secretary_of(village), operator_of(ProducerFactory(village=village))):
        with pytest.raises(PermissionDenied):
            commission_rule_set(actor=actor, rate="0.01", village_id=village.pk)
    for bad, code in [
        (0.05, "INVALID_RATE"),  # float
        ("1", "INVALID_RATE"),
        ("-0.01", "INVALID_RATE"),
        ("0.00005", "INVALID_RATE"),  # 5 places
        ("abc", "INVALID_RATE"),
        ("NaN", "INVALID_RATE"),
    ]:
        with pytest.raises(InvalidRate) as refused:
            commission_rule_set(actor=staff(), rate=bad, village_id=village.pk)
        assert refused.value.code == code and refused.value.field == "rate"
    with pytest.raises(NotFound) as missing:
        commission_rule_set(actor=staff(), rate="0.01", village_id=village.pk + 1000)
    assert missing.value.field == "village"
    assert sorted(CommissionRule.objects.values_list("pk", "rate")) == before


def test_setting_a_scope_twice_changes_its_one_rule_and_zero_is_a_rate():
    village = VillageFactory()
    first = commission_rule_set(actor=staff(), rate="0.0400", village_id=village.pk)
    second = commission_rule_set(actor=staff(), rate="0", village_id=village.pk, note="扶贫")
    assert first.pk == second.pk and second.rate == Decimal("0.0000") and second.note == "扶贫"
    assert CommissionRule.objects.filter(village=village).count() == 1
    default = commission_rule_set(actor=staff(), rate="0.06")
    assert default.village_id is None and default.category_id is None
    assert CommissionRule.objects.filter(village=None, category=None).get().rate == Decimal("0.06")


def test_the_default_rule_cannot_be_deleted_others_can():
    village = VillageFactory()
    rule = commission_rule_set(actor=staff(), rate="0.01", village_id=village.pk)
    default = CommissionRule.objects.get(village=None, category=None)

    with pytest.raises(DefaultRuleRequired) as refused:
        commission_rule_delete(actor=staff(), rule_id=default.pk)
    assert refused.value.code == "DEFAULT_RULE_REQUIRED"
    with pytest.raises(PermissionDenied):
        commission_rule_delete(actor=secretary_of(village), rule_id=rule.pk)
    commission_rule_delete(actor=staff(), rule_id=rule.pk)

    assert list(CommissionRule.objects.values_list("pk", flat=True)) == [default.pk]
    with pytest.raises(NotFound):
        commission_rule_delete(actor=staff(), rule_id=rule.pk)


def test_without_a_default_rule_generation_says_so_and_writes_nothing():
    CommissionRule.objects.filter(village=None, category=None).delete()  # below the services
    online_sale([(product_variant(at_village=5), 1)], at=in_period(P1))
    with pytest.raises(NoDefaultRule):
        settlement_generate(actor=staff(), period_code=P1)
    assert not StatementLine.objects.exists()


def test_rate_book_lineage_handles_the_tree_in_python():
    book = RateBook(
        {(None, None): Decimal("0.05"), (None, 1): Decimal("0.07")}, {1: None, 2: 1, 3: 2}
    )
    assert book.rate(9, 3) == Decimal("0.07")  # grandparent's rule
    villages, cats, rates = book.table([9, 10])
    assert len(villages) == len(cats) == len(rates) == 6
    assert set(rates) == {Decimal("0.07")}
