"""A reconciliation as tables, for the exports (alliance.reports.exports): a list of
(title, [(column name, column type)], rows). Column types are the exports' names: "text",
"int", "money" (Decimal), "kg" (integer grams, written as kilograms). Headers in Chinese."""

from __future__ import annotations

from typing import Any

from alliance.reports.reconciliation.types import Reconciliation

TEXT, INT, MONEY, KG = "text", "int", "money", "kg"
Table = tuple[str, list[tuple[str, str]], list[tuple[Any, ...]]]

GATEWAY_NAMES = {
    "stripe": "Stripe",
    "demo": "演示支付",
    "cash": "现金",
    "bank_transfer": "银行转账",
    "total": "合计",
}
STATUS_NAMES = {"draft": "草稿", "confirmed": "已确认", "paid": "已付款", "total": "合计"}


def reconciliation_tables(result: Reconciliation) -> list[Table]:
    tables: list[Table] = []
    s = result.sales
    tables.append(
        (
            "销售",
            [
                ("订单数", INT),
                ("行数", INT),
                ("商品金额", MONEY),
                ("运费", MONEY),
                ("销售额", MONEY),
                ("退款", MONEY),
                ("其中商品退款", MONEY),
                ("净额", MONEY),
                ("重量(公斤)", KG),
                ("退回重量(公斤)", KG),
            ],
            [
                (
                    s.orders,
                    s.lines,
                    s.goods,
                    s.shipping,
                    s.gross,
                    s.refunds,
                    s.refunds_goods,
                    s.net,
                    s.weight_g,
                    s.returned_weight_g,
                )
            ],
        )
    )
    if result.payments is not None:
        tables.append(
            (
                "收款",
                [
                    ("支付方式", TEXT),
                    ("收款笔数", INT),
                    ("收款", MONEY),
                    ("退款笔数", INT),
                    ("退款", MONEY),
                    ("净额", MONEY),
                ],
                [
                    (
                        GATEWAY_NAMES.get(g.gateway, g.gateway),
                        g.payments,
                        g.captured,
                        g.refund_count,
                        g.refunded,
                        g.net,
                    )
                    for g in [*result.payments.gateways, result.payments.total]
                ],
            )
        )
    if result.stripe is not None:
        st = result.stripe
        tables.append(
            (
                "Stripe",
                [
                    ("状态", TEXT),
                    ("说明", TEXT),
                    ("收款笔数", INT),
                    ("收款", MONEY),
                    ("退款笔数", INT),
                    ("退款", MONEY),
                    ("手续费", MONEY),
                    ("净额", MONEY),
                    ("已对上收款", INT),
                    ("已对上退款", INT),
                    ("本系统 Stripe 收款", MONEY),
                    ("本系统 Stripe 退款", MONEY),
                ],
                [
                    (
                        st.state,
                        st.message,
                        st.charges,
                        st.charged,
                        st.refunds,
                        st.refunded,
                        st.fees,
                        st.net,
                        st.matched_charges,
                        st.matched_refunds,
                        st.ours_captured,
                        st.ours_refunded,
                    )
                ],
            )
        )
    statements = result.statements
    tables.append(
        (
            "结算单",
            [
                ("状态", TEXT),
                ("结算单数", INT),
                ("行数", INT),
                ("重量(公斤)", KG),
                ("销售额", MONEY),
                ("退款", MONEY),
                ("佣金", MONEY),
                ("应付净额", MONEY),
                ("已付", MONEY),
            ],
            [
                (
                    STATUS_NAMES.get(f.status, f.status),
                    f.statements,
                    f.lines,
                    f.weight_g,
                    f.gross,
                    f.refunds,
                    f.commission,
                    f.net_payable,
                    f.paid,
                )
                for f in [*statements.by_status, statements.total]
            ],
        )
    )
    tables.append(
        (
            "结算覆盖",
            [
                ("结算期", TEXT),
                ("可结算行数", INT),
                ("可结算金额", MONEY),
                ("已结算行数", INT),
                ("已结算金额", MONEY),
                ("未结算行数", INT),
                ("未结算金额", MONEY),
            ],
            [
                (
                    ", ".join(statements.periods),
                    statements.settleable_lines,
                    statements.settleable_gross,
                    statements.settled_lines,
                    statements.settled_gross,
                    statements.unsettled_lines,
                    statements.unsettled_gross,
                )
            ],
        )
    )
    tables.append(
        (
            "库存流转",
            [
                ("仓库", TEXT),
                ("期初(公斤)", KG),
                ("入库", KG),
                ("调入", KG),
                ("退货", KG),
                ("线上销售", KG),
                ("门店销售", KG),
                ("调出", KG),
                ("损耗", KG),
                ("盘点调整", KG),
                ("期末(公斤)", KG),
                ("库存表(公斤)", KG),
                ("平衡", TEXT),
            ],
            [
                (
                    f.name,
                    f.opening_g,
                    f.received_g,
                    f.transferred_in_g,
                    f.returns_g,
                    f.sold_online_g,
                    f.sold_base_g,
                    f.transferred_out_g,
                    f.lost_g,
                    f.adjustments_g,
                    f.closing_g,
                    f.stock_table_g,
                    "是" if f.balanced else "否",
                )
                for f in [*result.stock.warehouses, result.stock.total]
            ],
        )
    )
    tables.append(
        (
            "差异",
            [("类型", TEXT), ("说明", TEXT), ("金额", MONEY), ("重量(公斤)", KG), ("记录", TEXT)],
            [
                (
                    d.kind,
                    d.message,
                    d.amount,
                    d.weight_g,
                    "; ".join(f"{r.type} {r.label}" for r in d.records),
                )
                for d in result.discrepancies
            ],
        )
    )
    return tables
