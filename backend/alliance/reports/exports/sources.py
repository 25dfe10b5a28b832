"""What each kind of export holds, as tables: statements, the sales report, reconciliation."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from alliance.catalog.models import Channel
from alliance.reports.exports.tables import (
    INT,
    KG,
    MONEY,
    RATE,
    TEXT,
    TIME,
    TONNES,
    Column,
    Table,
)
from alliance.reports.models import ExportJob
from alliance.reports.sales import GroupBy
from alliance.settlement.models import Statement, StatementLine

Kind = ExportJob.Kind
GROUP_BY = GroupBy.ALL  # the sales report's groupings
LINES_CHUNK = 2000


@dataclass(frozen=True)
class ExportParams:
    period: str
    village_id: int | None = None
    channel: str | None = None
    group_by: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "village": self.village_id,
            "channel": self.channel,
            "group_by": list(self.group_by),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExportParams:
        return cls(
            period=data["period"],
            village_id=data.get("village"),
            channel=data.get("channel"),
            group_by=tuple(data.get("group_by") or ()),
        )


# ---------------------------------------------------------------------------------------------
# What each kind exports

SUMMARY_COLUMNS = (
    Column("村", TEXT, 14),
    Column("结算单号", TEXT, 24),
    Column("状态", TEXT, 8),
    Column("行数", INT, 8),
    Column("重量(公斤)", KG, 14),
    Column("销售额", MONEY, 14),
    Column("退款", MONEY, 12),
    Column("佣金", MONEY, 12),
    Column("应付净额", MONEY, 14),
    Column("已付", MONEY, 14),
)
LINE_COLUMNS = (
    Column("结算单号", TEXT, 24),
    Column("村", TEXT, 12),
    Column("类型", TEXT, 8),
    Column("订单号", TEXT, 22),
    Column("渠道", TEXT, 8),
    Column("经营主体", TEXT, 18),
    Column("品类", TEXT, 10),
    Column("SKU", TEXT, 14),
    Column("商品", TEXT, 24),
    Column("时间", TIME, 20),
    Column("数量", INT, 8),
    Column("重量(公斤)", KG, 12),
    Column("金额", MONEY, 12),
    Column("佣金率", RATE, 8),
    Column("佣金", MONEY, 10),
    Column("净额", MONEY, 12),
)


def statement_tables(params: ExportParams) -> tuple[list[Table], int]:
    """Both sheets of a statements export; the lines are a lazy server-side cursor."""
    statements = Statement.objects.filter(period__code=params.period)
    if params.village_id is not None:
        statements = statements.filter(village_id=params.village_id)
    status_names = dict(Statement._meta.get_field("status").choices)
    summary_rows: list[Sequence[Any]] = [
        (village, number, status_names.get(status, status), *amounts)
        for village, number, status, *amounts in statements.order_by("village__code").values_list(
            "village__name",
            "number",
            "status",
            "line_count",
            "weight_g",
            "gross",
            "refunds",
            "commission",
            "net_payable",
            "paid_amount",
        )
    ]
    totals = statements.aggregate(
        lines=Sum("line_count"),
        weight_g=Sum("weight_g"),
        gross=Sum("gross"),
        refunds=Sum("refunds"),
        commission=Sum("commission"),
        net=Sum("net_payable"),
        paid=Sum("paid_amount"),
    )
    zero = Decimal("0.00")
    summary_rows.append(
        (
            "合计",
            None,
            None,
            totals["lines"] or 0,
            totals["weight_g"] or 0,
            totals["gross"] or zero,
            totals["refunds"] or zero,
            totals["commission"] or zero,
            totals["net"] or zero,
            totals["paid"] or zero,
        )
    )

    lines = StatementLine.objects.filter(statement__in=statements.values("pk"))
    line_count = lines.count()
    channel_names = dict(Channel.objects.values_list("slug", "name"))
    kind_names = dict(StatementLine.Kind.choices)
    cursor = (
        lines.order_by("statement__village__code", "id")
        .values_list(
            "statement__number",
            "statement__village__name",
            "kind",
            "order_number",
            "channel",
            "producer__name",
            "category__name",
            "sku",
            "product_name",
            "occurred_at",
            "quantity",
            "weight_g",
            "gross",
            "commission_rate",
            "commission",
            "net",
        )
        .iterator(chunk_size=LINES_CHUNK)
    )

    def line_rows() -> Iterator[Sequence[Any]]:
        for row in cursor:
            yield (
                row[0],
                row[1],
                kind_names.get(row[2], row[2]),
                row[3],
                channel_names.get(row[4], row[4]),
                *row[5:],
            )

    tables = [
        Table("汇总", SUMMARY_COLUMNS, summary_rows, len(summary_rows)),
        Table("明细", LINE_COLUMNS, line_rows(), line_count),
    ]
    return tables, len(summary_rows) + line_count


_GROUP_COLUMNS = {
    "VILLAGE": Column("村", TEXT, 14),
    "PRODUCER": Column("经营主体", TEXT, 18),
    "CATEGORY": Column("品类", TEXT, 12),
    "CATEGORY_ROOT": Column("大类", TEXT, 10),
    "CHANNEL": Column("渠道", TEXT, 8),
    "MONTH": Column("月份", TEXT, 10),
}
SALES_COLUMNS = (
    Column("订单数", INT, 10),
    Column("数量", INT, 10),
    Column("重量(公斤)", KG, 14),
    Column("重量(吨)", TONNES, 12),
    Column("销售额", MONEY, 14),
    Column("退款", MONEY, 12),
    Column("净销售额", MONEY, 14),
)


def sales_tables(actor: Any, params: ExportParams) -> tuple[list[Table], int]:
    """The sales report (alliance.reports.sales, as `actor` sees it): a row per group, then
    合计. Without grouping: the totals row only."""
    from alliance.reports.sales import sales_report

    report = sales_report(
        actor=actor,
        period=params.period,
        channel=params.channel,
        group_by=params.group_by,
        max_rows=None,
    )
    channel_names = dict(Channel.objects.values_list("slug", "name"))

    def key(row: Any, group: str) -> str | None:
        if group == "CHANNEL":
            return channel_names.get(row.channel, row.channel) if row.channel else None
        if group == "MONTH":
            return f"{row.month:%Y-%m}" if row.month else None
        named = getattr(row, group.lower())
        return named.name if named is not None else None

    def measures(row: Any) -> tuple[Any, ...]:
        return (
            row.orders,
            row.quantity,
            row.weight_g,
            row.weight_tonnes,
            row.gross,
            row.refunds,
            row.net,
        )

    groups = list(report.group_by)
    if not groups:
        columns = [Column("", TEXT, 8), *SALES_COLUMNS]
        rows: list[Sequence[Any]] = [("合计", *measures(report.totals))]
    else:
        columns = [*(_GROUP_COLUMNS[g] for g in groups), *SALES_COLUMNS]
        rows = [(*(key(row, g) for g in groups), *measures(row)) for row in report.rows]
        rows.append(("合计", *[None] * (len(groups) - 1), *measures(report.totals)))
    return [Table("销售报表", columns, rows, len(rows))], len(rows)


def reconciliation_sheets(actor: Any, params: ExportParams) -> tuple[list[Table], int]:
    """Each section of the reconciliation (as `actor` sees it) as a sheet."""
    from alliance.reports.reconciliation import reconciliation, reconciliation_tables

    result = reconciliation(actor=actor, period=params.period)
    tables = [
        Table(title, [Column(n, k, 24 if k == TEXT else 14) for n, k in columns], rows, len(rows))
        for title, columns, rows in reconciliation_tables(result)
    ]
    return tables, sum(t.count for t in tables)
