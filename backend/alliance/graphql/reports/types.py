"""GraphQL types of the reports: plain ObjectTypes over the frozen dataclasses of
alliance.reports (sales.SalesReport, reconciliation.Reconciliation, totals.AllianceTotals).
Nothing here touches the database: the reports are computed by one service call each."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import graphene
from graphql_relay import to_global_id

from alliance.core.weight import grams_to_kg
from alliance.graphql.core.scalars import Money, money, money_from
from alliance.reports.reconciliation import Kind as DiscrepancyKinds
from alliance.reports.reconciliation import StripeState as StripeStates
from alliance.reports.sales import GroupBy

SalesGroupByEnum = graphene.Enum(
    "SalesGroupBy",
    [(name, name) for name in GroupBy.ALL],
    description="What a sales report row groups by. CATEGORY is the line's own category; "
    "CATEGORY_ROOT its top-level category; MONTH the local (Asia/Shanghai) month.",
)
DiscrepancyKindEnum = graphene.Enum(
    "DiscrepancyKind",
    [(name, name) for name in DiscrepancyKinds.ALL],
    description="What a reconciliation found wrong.",
)
StripeReconciliationStateEnum = graphene.Enum(
    "StripeReconciliationState",
    [
        (name, name)
        for name in (StripeStates.OK, StripeStates.NOT_CONFIGURED, StripeStates.UNAVAILABLE)
    ],
    description="OK, NOT_CONFIGURED (no Stripe key: nothing asked) or UNAVAILABLE.",
)


def kg_from(attr: str) -> Callable[[Any, Any], Decimal | None]:
    """A resolver giving kilograms (Decimal, 3 places) from the integer grams at `attr`."""

    def resolve(root: Any, info: Any) -> Decimal | None:
        grams = getattr(root, attr)
        return None if grams is None else grams_to_kg(grams)

    return resolve


def _kg(attr: str, description: str = "", required: bool = True) -> graphene.Decimal:
    return graphene.Decimal(required=required, resolver=kg_from(attr), description=description)


def _money(attr: str, required: bool = True, description: str = "") -> graphene.Field:
    return graphene.Field(
        Money, required=required, resolver=money_from(attr), description=description
    )


class ReportPeriod(graphene.ObjectType):
    code = graphene.String(required=True, description="The period, normalised: 2026-10, all.")
    label = graphene.String(required=True, description="For people: 2026年10月.")
    start = graphene.Date(required=True, description="First local day.")
    end = graphene.Date(required=True, description="Last local day (inclusive).")
    starts_at = graphene.DateTime(required=True, description="Start instant (inclusive).")
    ends_at = graphene.DateTime(required=True, description="End instant (exclusive).")

    @staticmethod
    def resolve_start(root: Any, info: Any) -> Any:
        return root.start_date

    @staticmethod
    def resolve_end(root: Any, info: Any) -> Any:
        return root.end_date

    @staticmethod
    def resolve_starts_at(root: Any, info: Any) -> Any:
        return root.start_utc

    @staticmethod
    def resolve_ends_at(root: Any, info: Any) -> Any:
        return root.end_utc


class ReportKey(graphene.ObjectType):
    """A group of a report: the global id of the village, producer, category or warehouse,
    and its name."""

    id = graphene.ID(required=True)
    name = graphene.String(required=True)
    code = graphene.String(description="Village division code, category slug, warehouse code.")


def report_key(type_name: str, pk: int | None, name: str, code: str = "") -> dict | None:
    if pk is None:
        return None
    return {"id": to_global_id(type_name, pk), "name": name, "code": code or None}


def _key_from(attr: str, type_name: str) -> Callable[[Any, Any], Any]:
    def resolve(root: Any, info: Any) -> Any:
        named = getattr(root, attr)
        return None if named is None else report_key(type_name, named.id, named.name, named.code)

    return resolve


# --- salesReport ------------------------------------------------------------------------------


class SalesReportRow(graphene.ObjectType):
    village = graphene.Field(ReportKey, resolver=_key_from("village", "Village"))
    producer = graphene.Field(ReportKey, resolver=_key_from("producer", "Producer"))
    category = graphene.Field(ReportKey, resolver=_key_from("category", "Category"))
    category_root = graphene.Field(ReportKey, resolver=_key_from("category_root", "Category"))
    channel = graphene.String(description="Channel slug: online or base.")
    month = graphene.String(description="Local month, 2026-10.")
    orders = graphene.Int(required=True, description="Distinct paid orders with a line here.")
    quantity = graphene.Int(
        required=True,
        description="Units of lines sold by the unit (lines sold by weight add weight only).",
    )
    weight_kg = _kg("weight_g", "Weight sold, kg.")
    weight_tonnes = graphene.Decimal(required=True, description="Weight sold, tonnes.")
    returned_weight_kg = _kg("returned_weight_g", "Weight given back (refund lines), kg.")
    net_weight_kg = _kg("net_weight_g", "Weight sold minus given back, kg.")
    net_weight_tonnes = graphene.Decimal(required=True)
    gross = _money("gross", description="Line totals of paid orders created in the period.")
    refunds = _money("refunds", description="Refund lines of refunds succeeded in the period.")
    net = _money("net", description="gross - refunds.")

    @staticmethod
    def resolve_month(root: Any, info: Any) -> str | None:
        return None if root.month is None else f"{root.month:%Y-%m}"


class SalesReport(graphene.ObjectType):
    period = graphene.Field(ReportPeriod, required=True)
    channel = graphene.String(description="The channel asked for; null: both.")
    group_by = graphene.List(graphene.NonNull(SalesGroupByEnum), required=True)
    village = graphene.Field(
        ReportKey, description="A first secretary's report: their village (forced)."
    )
    rows = graphene.List(graphene.NonNull(SalesReportRow), required=True)
    totals = graphene.Field(SalesReportRow, required=True)
    notes = graphene.List(graphene.NonNull(graphene.String), required=True)

    @staticmethod
    def resolve_group_by(root: Any, info: Any) -> list[str]:
        return list(root.group_by)

    @staticmethod
    def resolve_village(root: Any, info: Any) -> Any:
        if root.village_id is None:
            return None
        return report_key("Village", root.village_id, root.village_name)


# --- reconciliation ---------------------------------------------------------------------------


class ReconciliationSales(graphene.ObjectType):
    orders = graphene.Int(required=True)
    lines = graphene.Int(required=True)
    goods = _money("goods", description="Line totals.")
    shipping = _money("shipping", description="Shipping charged (0 for a village).")
    gross = _money("gross", description="goods + shipping.")
    refunds = _money("refunds", description="All money given back in the period.")
    refunds_goods = _money("refunds_goods", description="Of which for goods (refund lines).")
    refunds_shipping = _money("refunds_shipping")
    net = _money("net")
    weight_kg = _kg("weight_g")
    returned_weight_kg = _kg("returned_weight_g")


class ReconciliationGateway(graphene.ObjectType):
    gateway = graphene.String(
        required=True, description="stripe, demo, cash, bank_transfer, total."
    )
    payments = graphene.Int(required=True, description="Payments captured in the period.")
    captured = _money("captured")
    refund_count = graphene.Int(required=True)
    refunded = _money("refunded")
    net = _money("net")


class ReconciliationPayments(graphene.ObjectType):
    gateways = graphene.List(graphene.NonNull(ReconciliationGateway), required=True)
    total = graphene.Field(ReconciliationGateway, required=True)


class ReconciliationStripe(graphene.ObjectType):
    state = graphene.Field(StripeReconciliationStateEnum, required=True)
    message = graphene.String(required=True)
    charges = graphene.Int(required=True)
    charged = _money("charged")
    refunds = graphene.Int(required=True)
    refunded = _money("refunded")
    fees = _money("fees")
    net = _money("net", description="What Stripe says reaches the balance.")
    other = graphene.Int(required=True, description="Other balance transactions (payouts...).")
    other_amount = _money("other_amount")
    matched_charges = graphene.Int(required=True)
    matched_refunds = graphene.Int(required=True)
    ours_captured = _money("ours_captured", description="Our Stripe payments captured.")
    ours_refunded = _money("ours_refunded", description="Our Stripe refunds succeeded.")


class ReconciliationStatementFigures(graphene.ObjectType):
    status = graphene.String(required=True, description="draft, confirmed, paid or total.")
    statements = graphene.Int(required=True)
    lines = graphene.Int(required=True)
    weight_kg = _kg("weight_g")
    gross = _money("gross")
    refunds = _money("refunds")
    commission = _money("commission")
    net_payable = _money("net_payable")
    paid = _money("paid")


class ReconciliationStatements(graphene.ObjectType):
    periods = graphene.List(
        graphene.NonNull(graphene.String),
        required=True,
        description="Settlement periods overlapping the range.",
    )
    by_status = graphene.List(graphene.NonNull(ReconciliationStatementFigures), required=True)
    total = graphene.Field(ReconciliationStatementFigures, required=True)
    settleable_lines = graphene.Int(
        required=True, description="Lines of paid orders done in the range."
    )
    settleable_gross = _money("settleable_gross")
    settled_lines = graphene.Int(required=True, description="Of those, in a statement.")
    settled_gross = _money("settled_gross")
    unsettled_lines = graphene.Int(required=True)
    unsettled_gross = _money("unsettled_gross")


class WarehouseFlow(graphene.ObjectType):
    """opening + received + transferredIn + returns + adjustments - sold - transferredOut -
    lost = closing (kg, from the stock ledger)."""

    warehouse = graphene.Field(ReportKey)
    opening_kg = _kg("opening_g")
    received_kg = _kg("received_g")
    transferred_in_kg = _kg("transferred_in_g")
    returns_kg = _kg("returns_g")
    sold_online_kg = _kg("sold_online_g")
    sold_base_kg = _kg("sold_base_g")
    sold_kg = _kg("sold_g")
    transferred_out_kg = _kg("transferred_out_g")
    lost_kg = _kg("lost_g")
    adjustments_kg = _kg("adjustments_g", "Count adjustments, signed.")
    closing_kg = _kg("closing_g", "The ledger at the end of the range.")
    expected_closing_kg = _kg("expected_closing_g", "opening + in - out.")
    stock_table_kg = _kg(
        "stock_table_g", "On hand by the Stock table (when the range includes now).", False
    )
    stock_quantity_off = graphene.Int(
        required=True,
        description="Units on hand by the Stock table minus units by the ledger (0 when not "
        "checked).",
    )
    balanced = graphene.Boolean(required=True)

    @staticmethod
    def resolve_warehouse(root: Any, info: Any) -> Any:
        return report_key("Warehouse", root.warehouse_id, root.name, root.code)


class ReconciliationStock(graphene.ObjectType):
    warehouses = graphene.List(graphene.NonNull(WarehouseFlow), required=True)
    total = graphene.Field(WarehouseFlow, required=True)
    checked_against_stock = graphene.Boolean(
        required=True, description="The range includes now: closing compared with Stock rows."
    )


class DiscrepancyRecord(graphene.ObjectType):
    type = graphene.String(
        required=True, description="Order, OrderLine, Payment, Transfer, StripeRefund, ..."
    )
    id = graphene.ID(
        required=True,
        description="The global id where a GraphQL type exists (node(id:)); otherwise the "
        "Stripe id or the database id.",
    )
    label = graphene.String(required=True)

    @staticmethod
    def resolve_id(root: Any, info: graphene.ResolveInfo) -> str:
        if root.pk is not None and _is_node(info, root.type):
            return to_global_id(root.type, root.pk)
        return root.reference or str(root.pk)


def _is_node(info: graphene.ResolveInfo, type_name: str) -> bool:
    graphql_type = info.schema.get_type(type_name)
    interfaces = getattr(graphql_type, "interfaces", None) or []
    return any(i.name == "Node" for i in interfaces)


class Discrepancy(graphene.ObjectType):
    kind = graphene.Field(DiscrepancyKindEnum, required=True)
    message = graphene.String(required=True)
    amount = graphene.Field(Money, resolver=money_from("amount"))
    weight_kg = _kg("weight_g", required=False)
    records = graphene.List(graphene.NonNull(DiscrepancyRecord), required=True)


class DiscrepancyCount(graphene.ObjectType):
    kind = graphene.Field(DiscrepancyKindEnum, required=True)
    count = graphene.Int(required=True, description="How many were found (the list is capped).")


class Reconciliation(graphene.ObjectType):
    period = graphene.Field(ReportPeriod, required=True)
    village = graphene.Field(ReportKey, description="A first secretary's: their village.")
    sales = graphene.Field(ReconciliationSales, required=True)
    payments = graphene.Field(ReconciliationPayments, description="Staff only.")
    stripe = graphene.Field(ReconciliationStripe, description="Staff only.")
    statements = graphene.Field(ReconciliationStatements, required=True)
    stock = graphene.Field(ReconciliationStock, required=True)
    payments_minus_sales = graphene.Field(
        Money, description="Net captured minus net sales (timing); staff only."
    )
    discrepancies = graphene.List(
        graphene.NonNull(Discrepancy), required=True, kind=DiscrepancyKindEnum()
    )
    discrepancy_counts = graphene.List(graphene.NonNull(DiscrepancyCount), required=True)

    @staticmethod
    def resolve_village(root: Any, info: Any) -> Any:
        if root.village_id is None:
            return None
        return report_key("Village", root.village_id, root.village_name)

    @staticmethod
    def resolve_payments_minus_sales(root: Any, info: Any) -> Any:
        return money(root.payments_minus_sales)

    @staticmethod
    def resolve_discrepancies(root: Any, info: Any, kind: Any = None) -> Any:
        wanted = getattr(kind, "value", kind)
        return [d for d in root.discrepancies if wanted is None or d.kind == wanted]

    @staticmethod
    def resolve_discrepancy_counts(root: Any, info: Any) -> Any:
        return [{"kind": k, "count": n} for k, n in root.discrepancy_counts.items()]


# --- allianceTotals ---------------------------------------------------------------------------


class AllianceTotals(graphene.ObjectType):
    """The alliance's figures to date (what the county reports). Public; at most 60 s old."""

    weight_kg = _kg("weight_g", "Sold, net of goods given back, kg.")
    tonnes = graphene.Decimal(required=True, description="The same in tonnes (3 places).")
    value = _money("value", description="Yuan: sales minus refunds (goods).")
    gross = _money("gross")
    refunds = _money("refunds")
    villages_with_sales = graphene.Int(required=True)
    villages = graphene.Int(required=True, description="Villages in the alliance.")
    producers_with_sales = graphene.Int(required=True)
    producers = graphene.Int(required=True)
    orders = graphene.Int(required=True, description="Paid orders.")
    as_of = graphene.DateTime(required=True)
