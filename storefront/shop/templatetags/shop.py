"""Template filters over shop.formatting, in the active language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation

from shop import formatting

register = template.Library()


def _language() -> str:
    return translation.get_language() or "zh-hans"


@register.filter
def money(value: Any) -> str:
    return formatting.format_money(value)


@register.filter
def weight(value: Any) -> str:
    return formatting.format_weight(value, _language())


@register.filter
def datetime_local(value: Any) -> str:
    return formatting.format_datetime(value, _language())


@register.filter
def date_local(value: Any) -> str:
    return formatting.format_date(value, _language())


@register.filter
def srcset(value: Any) -> str:
    return formatting.srcset(value)


@register.filter
def en_or(value: dict[str, Any] | None, field: str = "name") -> str:
    """`nameEn` in English when there is one, else `name` (categories, towns)."""
    if not value:
        return ""
    if _language().startswith("en"):
        english = value.get(f"{field}En")
        if english:
            return str(english)
    return str(value.get(field) or "")


def _labels() -> dict[str, str]:
    from django.utils.translation import gettext as _

    return {
        # order status
        "UNCONFIRMED": _("待确认"),
        "UNFULFILLED": _("待发货"),
        "PARTIALLY_FULFILLED": _("部分发货"),
        "FULFILLED": _("已发货"),
        "CANCELLED": _("已取消"),
        "REFUNDED": _("已退款"),
        # payment status
        "NOT_CHARGED": _("未付款"),
        "PENDING": _("付款处理中"),
        "PARTIALLY_CHARGED": _("部分付款"),
        "FULLY_CHARGED": _("已付款"),
        "PARTIALLY_REFUNDED": _("部分退款"),
        "FULLY_REFUNDED": _("已全额退款"),
        # delivery
        "DELIVERY": _("快递配送"),
        "PICKUP": _("基地自提"),
        "PICKUP_BASE": _("基地自提"),
        "COUNTER": _("基地门店"),
        # producers
        "COOPERATIVE": _("合作社"),
        "ENTERPRISE": _("企业"),
        "HOUSEHOLD": _("农户"),
        # village kind
        "VILLAGE": _("村"),
        "COMMUNITY": _("社区"),
    }


@register.filter
def label(value: Any) -> str:
    """An API enum value (order status, payment status, producer kind...) in words."""
    return _labels().get(str(value), str(value))
