"""Console display helpers: statuses in Chinese, yuan, kilograms, Shanghai time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django import template

register = template.Library()
SHANGHAI = ZoneInfo("Asia/Shanghai")

LABELS = {
    # product
    "DRAFT": "草稿",
    "PENDING_APPROVAL": "待审核",
    "PUBLISHED": "已上架",
    # order
    "UNCONFIRMED": "待确认",
    "UNFULFILLED": "待发货",
    "PARTIALLY_FULFILLED": "部分发货",
    "FULFILLED": "已发货",
    "CANCELLED": "已取消",
    "REFUNDED": "已退款",
    # payment
    "NOT_CHARGED": "未付款",
    "PENDING": "付款中",
    "PARTIALLY_CHARGED": "部分付款",
    "FULLY_CHARGED": "已付款",
    "PARTIALLY_REFUNDED": "部分退款",
    "FULLY_REFUNDED": "全额退款",
    # transfer
    "IN_TRANSIT": "在途",
    "RECEIVED": "已收货",
    # statement
    "CONFIRMED": "已确认",
    "PAID": "已付款",
    # exports
    "QUEUED": "排队中",
    "RUNNING": "生成中",
    "DONE": "已完成",
    "FAILED": "失败",
    # discrepancies (alliance reconciliation)
    "FULFILLED_NOT_PAID": "已发货未收款",
    "PAYMENT_MISMATCH": "收款不符",
    "STRIPE_CHARGE_UNKNOWN": "Stripe 有未知收款",
    "STRIPE_REFUND_UNKNOWN": "Stripe 有未知退款",
    "STRIPE_PAYMENT_MISSING": "Stripe 缺少收款",
    "STRIPE_REFUND_MISSING": "Stripe 缺少退款",
    "AMOUNT_MISMATCH": "金额不符",
    "TRANSFER_SHORT": "调拨短少",
    "STOCK_FLOW_MISMATCH": "库存流转不平",
    "UNSETTLED_LINES": "未结算订单行",
    "STATEMENT_NOT_PAID": "结算单未付清",
    # producer kinds, channels, gateways
    "COOPERATIVE": "合作社",
    "ENTERPRISE": "企业",
    "HOUSEHOLD": "农户",
    "online": "线上",
    "base": "基地柜台",
    "CASH": "现金",
    "BANK_TRANSFER": "银行转账",
    "VILLAGE": "村",
    "BASE": "基地",
}


@register.filter
def zh(value: Any) -> str:
    text = str(value or "")
    return LABELS.get(text, LABELS.get(text.upper(), text))


@register.filter
def yuan(value: Any) -> str:
    """¥1,234.50 from a Decimal string, a Money dict or a number."""
    if isinstance(value, dict):
        value = value.get("amount")
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"¥{number:,.2f}"


@register.filter
def kg(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("kilograms")
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,.3f} kg".replace(".000 kg", " kg")


@register.filter
def grams_kg(value: Any) -> str:
    try:
        return kg(Decimal(int(value)) / 1000)
    except (TypeError, ValueError):
        return "—"


@register.filter
def shanghai(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return "—"
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        return moment.strftime(fmt)
    return moment.astimezone(SHANGHAI).strftime(fmt)


@register.filter
def price_in(prices: list[dict[str, Any]] | None, channel: str) -> str:
    for p in prices or []:
        if p.get("channel") == channel:
            return str((p.get("price") or {}).get("amount") or "")
    return ""


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key)
    except AttributeError:
        return None
