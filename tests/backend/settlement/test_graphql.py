"""The settlement API: statements, periods and rules read by role; generate, confirm, pay
and rules written by staff; errors as `errors { field code message }`; flat query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from alliance.settlement.models import CommissionRule, Payout, Statement
from alliance.settlement.services import settlement_confirm, settlement_generate
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import category
from tests.backend.factories.villages import ProducerFactory, VillageFactory
from tests.backend.settlement.helpers import in_period, online_sale, product_variant

pytestmark = pytest.mark.django_db

P1 = "2025-03"

STATEMENT_FIELDS = """
  id number status lineCount
  period { code kind startDate lastDate isOpen }
  village { code name town { name } }
  weight { grams kilograms } weightKg
  gross { amount currency } refunds { amount } commission { amount }
  netPayable { amount } paidAmount { amount }
  generatedAt confirmedAt paidAt
  payouts { amount { amount } paidOn method reference }
"""

STATEMENTS = f"""
query($filter: StatementFilterInput, $first: Int, $after: String) {{
  statements(filter: $filter, first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {STATEMENT_FIELDS} }} }}
  }}
}}
"""

STATEMENT = """
query($id: ID!, $first: Int, $after: String) {
  statement(id: $id) {
    number netPayable { amount }
    lines(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id kind orderNumber channel sku productName occurredAt quantity
        producer { name village { code } } category { slug parent { slug } }
        weight { grams } gross { amount } commissionRate commission { amount } net { amount }
        orderLineId
      } }
    }
  }
}
"""

GENERATE = """
mutation($period: String!) {
  settlementGenerate(period: $period) {
    period { code }
    statements { id number status netPayable { amount } village { code } }
    linesAdded adjustmentsAdded deferredVillages { code }
    errors { field code message }
  }
}
"""

CONFIRM = """
mutation($id: ID!) {
  settlementConfirm(id: $id) {
    statement { status confirmedAt paidAt }
    errors { field code message }
  }
}
"""

PAY = """
mutation($input: SettlementPayoutCreateInput!) {
  settlementPayoutCreate(input: $input) {
    statement { status paidAmount { amount } paidAt }
    payout { amount { amount } paidOn method reference }
    errors { field code message }
  }
}
"""

RULE_SET = """
mutation($input: CommissionRuleSetInput!) {
  commissionRuleSet(input: $input) {
    commissionRule { id rate isDefault village { code } category { slug } note }
    errors { field code message }
  }
}
"""

RULE_DELETE = """
mutation($id: ID!) {
  commissionRuleDelete(id: $id) { deletedId errors { field code message } }
}
"""

RULES = "{ commissionRules { rate isDefault village { code } category { slug } } }"
PERIODS = "{ settlementPeriods { code kind startDate lastDate isOpen } }"


def gid(obj) -> str:
    return to_global_id(type(obj).__name__, obj.pk)


@pytest.fixture
def two_villages():
    """March sales in two villages, generated: east 100.00 (net 95.00), west 40.00."""
    east, west = VillageFactory(code="610627400001"), VillageFactory(code="610627400002")
    online_sale(
        [(product_variant(village=east, online="50.00", at_village=5), 2)], at=in_period(P1)
    )
    online_sale(
        [(product_variant(village=west, online="20.00", at_village=5), 2)], at=in_period(P1)
    )
    return east, west


def test_staff_generate_confirm_and_pay_through_the_api(gql, two_villages):
    east, _ = two_villages
    clerk = staff()

    generated = gql.as_user(clerk).data(GENERATE, {"period": P1})["settlementGenerate"]

    assert generated["errors"] == [] and generated["period"] == {"code": P1}
    assert (generated["linesAdded"], generated["adjustmentsAdded"]) == (2, 0)
    assert [
        (s["number"], s["status"], s["netPayable"]["amount"]) for s in generated["statements"]
    ] == [
        ("JS2025-03-610627400001", "DRAFT", "95.00"),
        ("JS2025-03-610627400002", "DRAFT", "38.00"),
    ]
    east_id = generated["statements"][0]["id"]

    confirmed = gql.data(CONFIRM, {"id": east_id})["settlementConfirm"]
    assert confirmed["errors"] == [] and confirmed["statement"]["status"] == "CONFIRMED"

    pay = {
        "statement": east_id,
        "amount": "95.00",
        "paidOn": "2025-04-08",
        "method": "BANK_TRANSFER",
    }
    missing_reference = gql.data(PAY, {"input": pay})["settlementPayoutCreate"]
    assert [(e["field"], e["code"]) for e in missing_reference["errors"]] == [
        ("reference", "PAYOUT_REFERENCE_REQUIRED")
    ]
    paid = gql.data(PAY, {"input": {**pay, "reference": "ABC-1"}})["settlementPayoutCreate"]
    assert paid["errors"] == []
    assert paid["statement"]["status"] == "PAID" and paid["statement"]["paidAmount"] == {
        "amount": "95.00"
    }
    assert paid["payout"] == {
        "amount": {"amount": "95.00"},
        "paidOn": "2025-04-08",
        "method": "BANK_TRANSFER",
        "reference": "ABC-1",
    }

    [node] = [
        e["node"]
        for e in gql.data(STATEMENTS, {"filter": {"village": gid(east)}})["statements"]["edges"]
    ]
    assert node["status"] == "PAID" and node["lineCount"] == 1
    assert node["weight"] == {"grams": 1000, "kilograms": "1.000"} and node["weightKg"] == "1.000"
    assert node["period"] == {
        "code": P1,
        "kind": "MONTH",
        "startDate": "2025-03-01",
        "lastDate": "2025-03-31",
        "isOpen": False,
    }
    assert (node["gross"], node["commission"]) == (
        {"amount": "100.00", "currency": "CNY"},
        {"amount": "5.00"},
    )
    assert node["payouts"][0]["reference"] == "ABC-1"


def test_mutation_errors_are_in_the_payload_and_change_nothing(gql, two_villages):
    clerk = staff()
    for period, code in [
        ("2025-13", "PERIOD_CODE_INVALID"),
        ("2025-W10", "PERIOD_KIND_MISMATCH"),
        ("2999-01", "PERIOD_NOT_STARTED"),
    ]:
        result = gql.as_user(clerk).data(GENERATE, {"period": period})["settlementGenerate"]
        assert [(e["field"], e["code"]) for e in result["errors"]] == [("period", code)]
        assert result["statements"] is None
    assert not Statement.objects.exists()

    [east, _] = settlement_generate(actor=clerk, period_code=P1).statements
    bad_id = gql.data(CONFIRM, {"id": "not-an-id"})["settlementConfirm"]
    assert [e["code"] for e in bad_id["errors"]] == ["INVALID_ID"]
    settlement_confirm(actor=clerk, statement_id=east.pk)
    again = gql.data(CONFIRM, {"id": gid(east)})["settlementConfirm"]
    assert [e["code"] for e in again["errors"]] == ["STATEMENT_NOT_DRAFT"]

    over = gql.data(
        PAY,
        {
            "input": {
                "statement": gid(east),
                "amount": "95.01",
                "paidOn": "2025-04-08",
                "method": "CASH",
            }
        },
    )["settlementPayoutCreate"]
    assert [(e["field"], e["code"]) for e in over["errors"]] == [("amount", "OVERPAYMENT")]
    places = gql.data(
        PAY,
        {
            "input": {
                "statement": gid(east),
                "amount": "1.001",
                "paidOn": "2025-04-08",
                "method": "CASH",
            }
        },
    )["settlementPayoutCreate"]
    assert [(e["field"], e["code"]) for e in places["errors"]] == [("amount", "INVALID_AMOUNT")]
    assert not Payout.objects.exists()


ROLES = {
    "consumer": lambda east, west: consumer(),
    "east secretary": lambda east, west: secretary_of(east),
    "east operator": lambda east, west: operator_of(ProducerFactory(village=east)),
}


@pytest.mark.parametrize("role", ["anonymous", *ROLES])
def test_only_staff_write(gql, two_villages, role):
    east, west = two_villages
    user = None if role == "anonymous" else ROLES[role](east, west)
    [statement, _] = settlement_generate(actor=staff(), period_code=P1).statements
    before = sorted(Statement.objects.values_list("pk", "status"))
    gql.as_user(user)

    for query, variables, name in [
        (GENERATE, {"period": P1}, "settlementGenerate"),
        (CONFIRM, {"id": gid(statement)}, "settlementConfirm"),
        (
            PAY,
            {
                "input": {
                    "statement": gid(statement),
                    "amount": "1.00",
                    "paidOn": "2025-04-08",
                    "method": "CASH",
                }
            },
            "settlementPayoutCreate",
        ),
        (RULE_SET, {"input": {"rate": "0.01", "village": gid(east)}}, "commissionRuleSet"),
        (RULE_DELETE, {"id": gid(CommissionRule.objects.get())}, "commissionRuleDelete"),
    ]:
        errors = gql.data(query, variables)[name]["errors"]
        assert [e["code"] for e in errors] == ["PERMISSION_DENIED"], name

    assert sorted(Statement.objects.values_list("pk", "status")) == before
    assert CommissionRule.objects.count() == 1


def test_each_role_reads_only_its_villages_statements(gql, two_villages):
    east, west = two_villages
    east_statement, west_statement = settlement_generate(actor=staff(), period_code=P1).statements
    readers = {
        "staff": (staff(), {"JS2025-03-610627400001", "JS2025-03-610627400002"}),
        "east secretary": (secretary_of(east), {"JS2025-03-610627400001"}),
        "west operator": (operator_of(ProducerFactory(village=west)), {"JS2025-03-610627400002"}),
        "consumer": (consumer(), set()),
        "anonymous": (None, set()),
    }
    for name, (user, expected) in readers.items():
        gql.as_user(user)
        page = gql.data(STATEMENTS, {"first": 10})["statements"]
        assert {e["node"]["number"] for e in page["edges"]} == expected, name
        assert page["totalCount"] == len(expected), name
        for statement in (east_statement, west_statement):
            one = gql.data(STATEMENT, {"id": gid(statement)})["statement"]
            node = gql.data(
                "query($id: ID!) { node(id: $id) { ... on Statement { number } } }",
                {"id": gid(statement)},
            )["node"]
            line = statement.lines.get()
            line_node = gql.data(
                "query($id: ID!) { node(id: $id) { ... on StatementLine { sku } } }",
                {"id": gid(line)},
            )["node"]
            visible = statement.number in expected
            assert (one is not None, node is not None, line_node is not None) == (
                visible,
                visible,
                visible,
            ), (name, statement.number)
        periods = gql.data(PERIODS)["settlementPeriods"]
        assert [p["code"] for p in periods] == (
            [P1] if name not in ("consumer", "anonymous") else []
        )


def test_a_statements_lines_page_through_the_api(gql, two_villages):
    east, _ = two_villages
    clerk = staff()
    extra = product_variant(village=east, category_slug="apples", online="3.00", at_village=20)
    for _ in range(3):
        online_sale([(extra, 1)], at=in_period(P1, day=20))
    statement = next(
        s for s in settlement_generate(actor=clerk, period_code=P1).statements if s.village == east
    )
    gql.as_user(clerk)

    first = gql.data(STATEMENT, {"id": gid(statement), "first": 3})["statement"]["lines"]
    rest = gql.data(
        STATEMENT, {"id": gid(statement), "first": 3, "after": first["pageInfo"]["endCursor"]}
    )["statement"]["lines"]

    assert first["totalCount"] == 4 and first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False and len(rest["edges"]) == 1
    node = rest["edges"][0]["node"]
    assert (node["kind"], node["quantity"], node["channel"]) == ("SALE", 1, "online")
    assert node["category"] == {"slug": "apples", "parent": {"slug": "fruit"}}
    assert node["producer"]["village"] == {"code": east.code}
    assert (node["gross"], node["commission"], node["net"], node["commissionRate"]) == (
        {"amount": "3.00"},
        {"amount": "0.15"},
        {"amount": "2.85"},
        "0.0500",
    )
    assert node["orderLineId"].startswith("T3JkZXJMaW5lO")  # base64("OrderLine:")


def _count(gql, query, variables):
    with CaptureQueriesContext(connection) as ctx:
        gql.data(query, variables)
    return len(ctx.captured_queries)


def test_the_statements_page_costs_the_same_queries_whatever_its_size(gql):
    clerk = staff()
    villages = [VillageFactory() for _ in range(7)]
    for village in villages[:2]:
        online_sale([(product_variant(village=village, at_village=5), 1)], at=in_period(P1))
    [a, _] = settlement_generate(actor=clerk, period_code=P1).statements
    settlement_confirm(actor=clerk, statement_id=a.pk)
    gql.as_user(clerk)
    small = _count(gql, STATEMENTS, {"first": 100})

    for village in villages[2:]:
        online_sale([(product_variant(village=village, at_village=5), 1)], at=in_period("2025-04"))
    settlement_generate(actor=clerk, period_code="2025-04")
    assert Statement.objects.count() == 7
    large = _count(gql, STATEMENTS, {"first": 100})

    # user (JWT), statements page, payouts prefetch, COUNT
    assert small == large == 4


def test_a_lines_page_costs_the_same_queries_whatever_its_size(gql):
    clerk = staff()
    village = VillageFactory()
    honey = product_variant(village=village, online="5.00", at_village=50)
    online_sale([(honey, 1)], at=in_period(P1))
    [small_statement] = settlement_generate(actor=clerk, period_code=P1).statements
    for day in range(2, 14):
        online_sale(
            [(product_variant(village=village, at_village=5), 1)], at=in_period("2025-04", day=day)
        )
    [large_statement] = settlement_generate(actor=clerk, period_code="2025-04").statements
    assert large_statement.line_count == 12
    gql.as_user(clerk)

    small = _count(gql, STATEMENT, {"id": gid(small_statement), "first": 100})
    large = _count(gql, STATEMENT, {"id": gid(large_statement), "first": 100})

    # user, statement, payouts prefetch, lines page, COUNT, category tree (parent)
    assert small == large == 6


def test_commission_rules_through_the_api(gql):
    village = VillageFactory(code="610627500001")
    other = VillageFactory()
    clerk = staff()
    gql.as_user(clerk)

    made = gql.data(
        RULE_SET,
        {
            "input": {
                "rate": "0.0300",
                "village": gid(village),
                "category": gid(category("fruit")),
                "note": "果业帮扶",
            }
        },
    )["commissionRuleSet"]
    assert made["errors"] == []
    assert made["commissionRule"]["rate"] == "0.0300"
    assert made["commissionRule"]["category"] == {"slug": "fruit"}
    gql.data(RULE_SET, {"input": {"rate": "0.0400", "village": gid(other)}})
    bad = gql.data(RULE_SET, {"input": {"rate": "1.5"}})["commissionRuleSet"]
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("rate", "INVALID_RATE")]

    rules = gql.data(RULES)["commissionRules"]
    assert (rules[0]["rate"], rules[0]["isDefault"]) == ("0.0500", True)
    assert len(rules) == 3
    secretary_rules = gql.as_user(secretary_of(village)).data(RULES)["commissionRules"]
    assert {(r["village"] or {}).get("code") for r in secretary_rules} == {None, village.code}
    assert gql.as_user(consumer()).data(RULES)["commissionRules"] == []

    default = CommissionRule.objects.get(village=None, category=None)
    gql.as_user(clerk)
    refused = gql.data(RULE_DELETE, {"id": gid(default)})["commissionRuleDelete"]
    assert [e["code"] for e in refused["errors"]] == ["DEFAULT_RULE_REQUIRED"]
    rule = CommissionRule.objects.get(village=other)
    deleted = gql.data(RULE_DELETE, {"id": gid(rule)})["commissionRuleDelete"]
    assert deleted == {"deletedId": gid(rule), "errors": []}
    assert CommissionRule.objects.count() == 2
    assert Decimal(gql.data(RULES)["commissionRules"][0]["rate"]) == Decimal("0.05")
