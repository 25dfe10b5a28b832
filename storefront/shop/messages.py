"""Backend error codes in words a buyer understands (the backend's own message is English
and technical; it is logged, not shown, except as a last resort)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _texts() -> dict[str, str]:
    return {
        "INSUFFICIENT_STOCK": _("库存不足：这件商品剩下的数量不够了，请减少数量。"),
        "NOT_AVAILABLE": _("这件商品已经下架或暂不在线上销售。"),
        "VARIANT_NOT_AVAILABLE": _("这件商品已经下架或暂不在线上销售。"),
        "PRICE_CHANGED": _("价格有变化：请确认新价格后再下单（更新购物车即接受新价格）。"),
        "NO_LINES": _("购物车是空的。"),
        "EMAIL_REQUIRED": _("请填写电子邮箱。"),
        "INVALID_EMAIL": _("电子邮箱格式不正确。"),
        "SHIPPING_ADDRESS_REQUIRED": _("请填写收货地址。"),
        "PICKUP_NOT_AVAILABLE": _("基地目前没有全部商品的现货，请选择快递配送。"),
        "INVALID_QUANTITY": _("数量不正确。"),
        "TOO_MANY_LINES": _("购物车里的商品种类太多了。"),
        "CHECKOUT_COMPLETED": _("这个订单已经提交过了。"),
        "REQUIRED": _("此项必填。"),
        "INVALID_PHONE": _("请填写 11 位手机号，或带区号的固定电话（如 0911-1234567）。"),
        "INVALID": _("填写的内容不正确。"),
        "INVALID_CREDENTIALS": _("邮箱或密码不正确。"),
        "TOO_MANY_ATTEMPTS": _("尝试次数太多，请稍后再试。"),
        "EMAIL_TAKEN": _("这个邮箱已经注册过了，请直接登录。"),
        "PASSWORD_TOO_WEAK": _("密码太简单：至少 8 位，不要只用数字或常见密码。"),
        "ORDER_NOT_PAYABLE": _("这个订单现在不能付款（可能已付款或已取消）。"),
        "PAYMENT_DECLINED": _("支付被拒绝，请换一种支付方式。"),
        "PAYMENT_PROVIDER_UNAVAILABLE": _("支付服务暂时无法连接，请稍后再试。"),
        "PAYMENT_PROVIDER_NOT_CONFIGURED": _("在线支付尚未开通。"),
        "DEMO_GATEWAY_UNAVAILABLE": _("演示支付未开启。"),
        "ORDER_PAID": _("这个订单已经付过款了。"),
    }


def describe_error(error: dict[str, Any]) -> str:
    """A mutation error or checkout problem ({code, message}) as a sentence for the buyer."""
    return _texts().get(str(error.get("code")), str(error.get("message") or _("操作没有成功。")))
