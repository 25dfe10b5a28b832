"""Settled periods for the export tests: real orders (counter sales, a refund) settled into
statements with the ORM by the team's rules (commission = round(gross x rate) half up per
line; a refund line: gross -amount, commission -round(amount x rate); statement totals are the
sums of its lines), and `bulk_lines` for large statements, built by SQL (INSERT ... SELECT
generate_series) from one real order line.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from alliance.orders.models import Order, OrderLine
from alliance.orders.refund import order_refund
from alliance.orders.services import base_sale_create
from alliance.payments.models import RefundLine
from alliance.settlement.models import SettlementPeriod, Statement, StatementLine
from alliance.settlement.periods import period_for_code
from alliance.villages.models import Village
from tests.backend.factories.accounts import staff
from tests.backend.factories.catalog import ProductFactory
from tests.backend.factories.orders import stocked_variant
from tests.backend.factories.villages import ProducerFactory

RATE = Decimal("0.0725")  # 7.25 %: most commissions need rounding
CENT = Decimal("0.01")


def commission(gross: Decimal, rate: Decimal = RATE) -> Decimal:
    return (gross * rate).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class Settled:
    period: SettlementPeriod
    villages: list[Village]
    statements: list[Statement]


def counter_sale(*lines: tuple) -> Order:
    return base_sale_create(actor=staff(), lines=list(lines), payment_method="cash")


def statement_for(period: SettlementPeriod, village: Village) -> Statement:
    return Statement.objects.create(
        period=period,
        village=village,
        number=f"JS{period.code}-{village.code}",
        generated_at=timezone.now(),
    )


def add_sale(statement: Statement, line: OrderLine, rate: Decimal = RATE) -> StatementLine:
    fee = commission(line.line_total, rate)
    return StatementLine.objects.create(
        statement=statement,
        kind=StatementLine.Kind.SALE,
        order_line=line,
        order_number=line.order.number,
        channel=line.order.channel.slug,
        producer_id=line.producer_id,
        category_id=line.category_id,
        sku=line.sku,
        product_name=line.product_name,
        occurred_at=line.fulfilled_at or line.created_at,
        quantity=line.quantity,
        weight_g=line.weight_g,
        gross=line.line_total,
        commission_rate=rate,
        commission=fee,
        net=line.line_total - fee,
    )


def add_refund(statement: Statement, refund_line: RefundLine, rate: Decimal = RATE):
    line = refund_line.order_line
    fee = commission(refund_line.amount, rate)
    return StatementLine.objects.create(
        statement=statement,
        kind=StatementLine.Kind.REFUND,
        order_line=line,
        refund_line=refund_line,
        order_number=line.order.number,
        channel=line.order.channel.slug,
        producer_id=line.producer_id,
        category_id=line.category_id,
        sku=line.sku,
        product_name=line.product_name,
        occurred_at=refund_line.refund.succeeded_at or refund_line.refund.created_at,
        quantity=-refund_line.quantity,
        weight_g=-refund_line.quantity * line.unit_weight_g,
        gross=-refund_line.amount,
        commission_rate=rate,
        commission=-fee,
        net=-refund_line.amount + fee,
    )


def total_up(statement: Statement) -> Statement:
    """Statement totals = sums of its lines (the agreed rule)."""
    lines = StatementLine.objects.filter(statement=statement)
    zero = Decimal("0.00")
    gross = lines.filter(kind="sale").aggregate(s=Sum("gross"))["s"] or zero
    refunds = -(lines.filter(kind="refund").aggregate(s=Sum("gross"))["s"] or zero)
    fee = lines.aggregate(s=Sum("commission"))["s"] or zero
    statement.line_count = lines.count()
    statement.weight_g = lines.aggregate(s=Sum("weight_g"))["s"] or 0
    statement.gross, statement.refunds, statement.commission = gross, refunds, fee
    statement.net_payable = gross - refunds - fee
    statement.save()
    return statement


def small_period(code: str = "2026-10") -> Settled:
    """Two villages. 马家村: 3 lines (one sold by 1.25 kg units) and a refund of one unit;
    the other village: 2 lines. Every amount needs commission rounding at 7.25 %."""
    period = period_for_code(code)
    ma = ProducerFactory(village__name="马家村", name="马家蜂业合作社")
    li = ProducerFactory(village__name="李家村", name="李家果业合作社")
    honey = stocked_variant(ProductFactory(producer=ma, name="槐花蜂蜜"), at_base=50, base="12.35")
    jam = stocked_variant(ProductFactory(producer=ma, name="=1+2 果酱"), at_base=50, base="7.99")
    rice = stocked_variant(
        ProductFactory(producer=ma, name="小米"), at_base=50, base="33.33", weight_g=1250
    )
    apple = stocked_variant(ProductFactory(producer=li, name="苹果"), at_base=50, base="4.57")
    pear = stocked_variant(ProductFactory(producer=li, name="酥梨"), at_base=50, base="19.90")
    sale_ma = counter_sale((honey, 3), (jam, 2), (rice, 1))
    sale_li = counter_sale((apple, 7), (pear, 1))
    refund = order_refund(
        actor=staff(),
        order_id=sale_ma.pk,
        amount=Decimal("12.35"),
        lines=[(sale_ma.lines.get(variant=honey).pk, 1)],
    )
    statements = []
    for village, order in ((ma.village, sale_ma), (li.village, sale_li)):
        statement = statement_for(period, village)
        for line in order.lines.select_related("order__channel").order_by("id"):
            add_sale(statement, line)
        statements.append(statement)
    for refund_line in RefundLine.objects.filter(refund=refund).select_related(
        "order_line__order__channel", "refund"
    ):
        add_refund(statements[0], refund_line)
    return Settled(period, [ma.village, li.village], [total_up(s) for s in statements])


def bulk_lines(statement: Statement, template: OrderLine, count: int, tag: str) -> None:
    """`count` more SALE lines in `statement`, each for its own new order and order line
    (copies of `template` with quantity 1..7), all inserted by SQL; then totals updated."""
    prefix = f"{template.order.number}-{tag}-"
    _clone(
        Order,
        template.order_id,
        count,
        {
            "number": "t.number || %(suffix)s || g",
            "checkout_token": "NULL",
            "receipt_number": "NULL",
        },
        {"suffix": f"-{tag}-"},
    )
    quantity = "(1 + (o.id %% 7))"
    _clone(
        OrderLine,
        template.pk,
        None,
        {
            "order_id": "o.id",
            "quantity": quantity,
            "quantity_fulfilled": quantity,
            "quantity_refunded": "0",
            "weight_g": f"{quantity} * t.unit_weight_g",
            "line_total": f"{quantity} * t.unit_price",
        },
        {"prefix": prefix + "%"},
        join=f"JOIN {Order._meta.db_table} o ON o.number LIKE %(prefix)s",
    )
    fee = "round(l.line_total * %(rate)s, 2)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {StatementLine._meta.db_table}
                (statement_id, kind, order_line_id, refund_line_id, order_number, channel,
                 producer_id, category_id, sku, product_name, occurred_at, quantity, weight_g,
                 gross, commission_rate, commission, net)
            SELECT %(statement)s, 'sale', l.id, NULL, o.number, 'base', l.producer_id,
                   l.category_id, l.sku, l.product_name, o.created_at, l.quantity, l.weight_g,
                   l.line_total, %(rate)s, {fee}, l.line_total - {fee}
              FROM {OrderLine._meta.db_table} l
              JOIN {Order._meta.db_table} o ON o.id = l.order_id
             WHERE o.number LIKE %(prefix)s
            """,
            {"statement": statement.pk, "rate": RATE, "prefix": prefix + "%"},
        )
    total_up(statement)


def _clone(model, template_pk, count, overrides, params, join=""):
    """INSERT ... SELECT copies of one row of `model`: `count` copies (generate_series g) or
    one per row of `join`; columns default to the template's (alias t)."""
    table = model._meta.db_table
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    values = [overrides.get(c, f"t.{c}") for c in columns]
    source = f"{table} t"
    if count is not None:
        source += ", generate_series(1, %(count)s) g"
        params = {**params, "count": count}
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} "
        f"FROM {source} {join} WHERE t.id = %(template)s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "template": template_pk})
