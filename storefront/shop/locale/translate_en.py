# ruff: noqa: E501  (a table of sentences: one translation a line reads best)
"""English for the storefront's Chinese source strings: fills locale/en/LC_MESSAGES/django.po.

Run in storefront/shop after `django-admin makemessages -l en`, then `django-admin compilemessages` (the compiled
django.mo is committed, so no gettext tools are needed to run the shop). Strings missing
here are listed and left empty (Django then shows the Chinese).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PO = Path(__file__).resolve().parent / "en" / "LC_MESSAGES" / "django.po"

EN = {
    "库存不足：这件商品剩下的数量不够了，请减少数量。": "Out of stock: there is not enough of this item left. Please lower the quantity.",
    "这件商品已经下架或暂不在线上销售。": "This item is no longer sold online.",
    "价格有变化：请确认新价格后再下单（更新购物车即接受新价格）。": "The price has changed: please check the new price before ordering (updating the cart accepts it).",
    "购物车是空的。": "Your cart is empty.",
    "请填写电子邮箱。": "Please enter your e-mail address.",
    "电子邮箱格式不正确。": "This e-mail address is not valid.",
    "请填写收货地址。": "Please enter a delivery address.",
    "基地目前没有全部商品的现货，请选择快递配送。": "The base does not hold every item right now; please choose delivery.",
    "数量不正确。": "The quantity is not valid.",
    "购物车里的商品种类太多了。": "There are too many different items in the cart.",
    "这个订单已经提交过了。": "This order has already been placed.",
    "此项必填。": "This field is required.",
    "请填写 11 位手机号，或带区号的固定电话（如 0911-1234567）。": "Enter an 11-digit mobile number, or a landline with its area code (e.g. 0911-1234567).",
    "填写的内容不正确。": "This value is not valid.",
    "邮箱或密码不正确。": "Wrong e-mail or password.",
    "尝试次数太多，请稍后再试。": "Too many attempts. Please try again later.",
    "这个邮箱已经注册过了，请直接登录。": "This e-mail is already registered. Please sign in.",
    "密码太简单：至少 8 位，不要只用数字或常见密码。": "The password is too weak: at least 8 characters, not only digits, not a common password.",
    "这个订单现在不能付款（可能已付款或已取消）。": "This order cannot be paid now (it may be paid or cancelled already).",
    "支付被拒绝，请换一种支付方式。": "The payment was declined. Please try another payment method.",
    "支付服务暂时无法连接，请稍后再试。": "The payment service cannot be reached. Please try again later.",
    "在线支付尚未开通。": "Online payment is not set up yet.",
    "演示支付未开启。": "The demo payment is not enabled.",
    "这个订单已经付过款了。": "This order is already paid.",
    "操作没有成功。": "That did not work.",
    "我的订单": "My orders",
    "您在联盟集市的订单和每件商品的产地。": "Your Alliance Market orders and where every item came from.",
    "退出登录": "Sign out",
    "产地": "Origin",
    "更早的订单": "Older orders",
    "您还没有订单。": "You have no orders yet.",
    "联盟集市": "Alliance Market",
    "第一书记联盟：甘泉县六十三个村的蔬菜、水果、杂粮、菌类和蜂蜜，线上下单，快递到家或到基地自提。": "The first-secretary alliance: vegetables, fruit, grains, fungi and honey from 63 villages of Ganquan county, delivered to your door or picked up at the alliance base.",
    "跳到主要内容": "Skip to main content",
    "账户与购物车": "Account and cart",
    "购物车": "Cart",
    "%(n)s 种商品": ("%(n)s item", "%(n)s items"),
    "我的": "Account",
    "登录": "Sign in",
    "搜索商品": "Search products",
    "搜索：蜂蜜、小米、苹果…": "Search: honey, millet, apples…",
    "搜索": "Search",
    "联盟集市：甘泉县第一书记联盟 · 联盟 + 基地 + 企业 + 农户": "Alliance Market: Ganquan county's first-secretary alliance · alliance + base + enterprises + farm households",
    "全部村庄": "All villages",
    "您的购物车：确认商品和数量后去结算。": "Your cart: check the items and quantities, then check out.",
    "原价 %(old)s": "was %(old)s",
    "（现有 %(n)s）": "(%(n)s available)",
    "数量": "Quantity",
    "更新数量": "Update quantities",
    "数量改为 0 即删除": "Set a quantity to 0 to remove the item",
    "商品合计": "Subtotal",
    "总重量": "Total weight",
    "去结算": "Check out",
    "去逛逛": "Start shopping",
    "结算": "Checkout",
    "填写联系方式，选择快递配送或到联盟基地自提，然后付款。": "Enter your contact details, choose delivery or pick-up at the alliance base, then pay.",
    "返回购物车修改": "Back to the cart",
    "联系方式": "Contact",
    "电子邮箱（接收订单确认）": "E-mail (for the order confirmation)",
    "收货方式": "How you get your goods",
    "快递配送": "Delivery",
    "到联盟基地自提（甘泉县工业园区）": "Pick up at the alliance base (Ganquan industrial park)",
    "基地目前没有全部商品的现货。": "The base does not hold every item right now.",
    "收货地址（快递配送时填写）": "Delivery address (for delivery)",
    "省份": "Province",
    "请选择省份": "Choose a province",
    "城市": "City",
    "请选择城市": "Choose a city",
    "区县": "District",
    "请选择区县": "Choose a district",
    "更新城市和区县列表": "Update the city and district lists",
    "详细地址（街道、门牌号）": "Street address (street, number)",
    "收货人": "Recipient",
    "手机号码": "Mobile phone",
    "订单摘要": "Order summary",
    "运费": "Shipping",
    "应付": "To pay",
    "提交订单并付款": "Place order and pay",
    "订单 %(n)s": "Order %(n)s",
    "订单确认：付款状态和每件商品的产地。": "Order confirmation: payment status and the origin of every item.",
    "付款成功，谢谢您！": "Payment received. Thank you!",
    "订单已提交": "Order placed",
    "订单号 %(n)s": "Order number %(n)s",
    "我们还没有收到这笔付款的确认。如果您刚刚付过款，请稍后刷新本页。": "We have not received confirmation of this payment yet. If you have just paid, refresh this page in a moment.",
    "去付款": "Pay now",
    "这些好物来自": "These goods come from",
    "请凭订单号到甘泉县工业园区的联盟基地自提。": "Pick up your order at the alliance base in Ganquan industrial park with your order number.",
    "继续购物": "Continue shopping",
    "回到首页": "Back to the home page",
    "甘泉乡村好物": "Good things from Ganquan's villages",
    "六十三个村的第一书记联盟：蔬菜、水果、杂粮、菌类和蜂蜜，从村里直接到您家，也可到联盟基地自提。": "The first-secretary alliance of 63 villages: vegetables, fruit, grains, fungi and honey, straight from the village to your home, or picked up at the alliance base.",
    "商品分类": "Categories",
    "当季好物": "Seasonal picks",
    "还没有上架的商品。": "No products are listed yet.",
    "走进村庄": "Meet the villages",
    "全部 %(n)s 个村庄": "All %(n)s villages",
    "%(price)s 起": "from %(price)s",
    "暂无线上价格": "No online price",
    "订单商品及产地": "Items of the order and their origin",
    "商品": "Item",
    "金额": "Amount",
    "采收": "harvested",
    "合计": "Total",
    "搜索“%(q)s”": "Search: “%(q)s”",
    "%(name)s：甘泉县各村直供，可按村庄、价格、现货和基地自提筛选。": "%(name)s straight from Ganquan's villages; filter by village, price, stock and pick-up at the base.",
    "“%(q)s”的搜索结果：甘泉县各村的农产品。": "Results for “%(q)s”: farm products from Ganquan's villages.",
    "%(town)s%(name)s的故事、合作社和农产品。": "%(name)s, %(town)s: its story, cooperatives and farm products.",
    "%(village)s的%(name)s出品的农产品。": "Farm products of %(name)s in %(village)s.",
    "本村生产者": "Producers of the village",
    "本村商品": "Products of the village",
    "在售商品": "Products on sale",
    "筛选与排序": "Filter and sort",
    "村庄": "Village",
    "生产者": "Producer",
    "全部生产者": "All producers",
    "价格（元）": "Price (yuan)",
    "最低": "From",
    "最高": "To",
    "只看有货": "In stock only",
    "可到基地自提": "Pick-up at the base",
    "排序": "Sort by",
    "应用": "Apply",
    "共 %(n)s 件商品": ("%(n)s product", "%(n)s products"),
    "没有符合条件的商品，换个条件试试。": "No products match. Try other filters.",
    "下一页": "Next page",
    "订单详情：每件商品来自哪个村、哪个生产者。": "Order details: the village and producer of every item.",
    "位置": "Breadcrumb",
    "支付订单 %(n)s": "Pay order %(n)s",
    "支付您的订单：银行卡、支付宝或微信支付。": "Pay your order: card, Alipay or WeChat Pay.",
    "支付": "Payment",
    "确认支付": "Pay",
    "在线支付需要启用 JavaScript。": "Online payment needs JavaScript.",
    "演示支付（不会真实扣款）": "Demo payment (no real money is charged)",
    "本站当前运行在演示模式，未接入 Stripe。点击下面的按钮，由商城后台的演示支付通道完成付款，不涉及任何真实资金。": "This shop runs in demo mode without Stripe. The button below pays through the backend's demo payment channel; no real money is involved.",
    "演示支付：确认付款": "Demo payment: pay now",
    "%(village)s出产的%(name)s。": "%(name)s from %(village)s.",
    "首页": "Home",
    "更多照片": "More photos",
    "第 %(n)s 张照片": "Photo %(n)s",
    "已加入购物车。": "Added to your cart.",
    "选择规格": "Choose a size",
    "公斤": "kg",
    "净含量": "Net weight",
    "线上有货 %(n)s": "%(n)s in stock online",
    "线上缺货": "Out of stock online",
    "基地现货 %(n)s，可自提": "%(n)s at the base, ready for pick-up",
    "基地暂无现货": "none at the base",
    "批次": "Lot",
    "保质期至": "best before",
    "加入购物车": "Add to cart",
    "商品介绍": "About this product",
    "注册": "Register",
    "注册联盟集市账户。": "Create an Alliance Market account.",
    "电子邮箱": "E-mail",
    "姓名（可选）": "Name (optional)",
    "密码（至少 8 位）": "Password (at least 8 characters)",
    "在上方输入商品名称，例如“蜂蜜”或“小米”。也可以按分类浏览：": "Type a product name above, e.g. “honey” (蜂蜜) or “millet” (小米). Or browse by category:",
    "登录联盟集市，查看订单和产地。": "Sign in to Alliance Market to see your orders and their origin.",
    "密码": "Password",
    "还没有账户？": "No account yet?",
    "甘泉县六个乡镇（街道）的村庄和社区，以及它们的合作社和农产品。": "The villages and communities of Ganquan's six townships, with their cooperatives and farm products.",
    "待确认": "Unconfirmed",
    "待发货": "Awaiting shipment",
    "部分发货": "Partly shipped",
    "已发货": "Shipped",
    "已取消": "Cancelled",
    "已退款": "Refunded",
    "未付款": "Not paid",
    "付款处理中": "Payment pending",
    "部分付款": "Partly paid",
    "已付款": "Paid",
    "部分退款": "Partly refunded",
    "已全额退款": "Fully refunded",
    "基地自提": "Pick-up at the base",
    "基地门店": "Base counter",
    "合作社": "Cooperative",
    "企业": "Enterprise",
    "农户": "Household",
    "村": "Village",
    "社区": "Community",
    "请填写邮箱和密码。": "Please enter your e-mail and password.",
    "欢迎回来！": "Welcome back!",
    "注册成功，已为您登录。": "Your account is ready and you are signed in.",
    "您已退出登录。": "You are signed out.",
    "请选择规格和数量。": "Please choose a size and a quantity.",
    "数量必须是 0 或正整数。": "Quantities must be 0 or a positive whole number.",
    "购物车已更新。": "Cart updated.",
    "最新上架": "Newest",
    "价格从低到高": "Price, low to high",
    "价格从高到低": "Price, high to low",
    "名称": "Name",
    "购物车是空的，先去挑选商品吧。": "Your cart is empty: pick some products first.",
    "商城暂时无法连接": "The shop cannot be reached right now",
    "我们的商品服务暂时无法连接，请稍后再来看看。您的购物车不会丢失。": "Our product service cannot be reached at the moment. Please come back a little later; your cart is kept.",
    "页面暂时无法显示": "This page cannot be shown right now",
    "商品服务返回了我们看不懂的内容，请稍后再试。": "The product service gave an answer we could not read. Please try again later.",
    "找不到这个页面": "Page not found",
    "这个页面不存在，或商品已经下架。": "This page does not exist, or the product is no longer listed.",
    "出了点问题": "Something went wrong",
    "页面出错了，我们会尽快修好。请稍后再试。": "This page failed. We will fix it soon; please try again later.",
    "表单已过期": "The form has expired",
    "为了您的安全，请返回上一页刷新后重新提交。": "For your security, go back, reload the page and send the form again.",
    "正在加载支付方式（银行卡、支付宝、微信支付）……": "Loading the payment methods (card, Alipay, WeChat Pay)…",
    "支付组件暂时无法加载，可能是网络问题。您的订单已保留，尚未扣款，请检查网络后重试。": "The payment form cannot load right now, perhaps a network problem. Your order is kept and nothing was charged; please check your connection and try again.",
    "重新加载本页": "Reload this page",
    "查看订单状态": "See the order status",
}


def _unquote(lines: list[str]) -> str:
    return "".join(
        re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), line)
        for line in lines
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> int:
    blocks = PO.read_text(encoding="utf-8").split("\n\n")
    missing, out = [], []
    for block in blocks:
        lines = block.split("\n")
        keys: dict[str, list[str]] = {}
        current = None
        head: list[str] = []
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                keys[current] = [match.group(2)]
            elif line.startswith('"') and current:
                keys[current].append(line[1:-1])
            elif current is None:
                head.append(line)
        msgid = _unquote(keys.get("msgid", [""]))
        if not msgid:
            out.append(block)
            continue
        english = EN.get(msgid)
        if english is None:
            missing.append(msgid)
        head = [h for h in head if h != "#, fuzzy"]
        text = [*head, f"msgid {_quote(msgid)}"]
        if "msgid_plural" in keys:
            singular, plural = english if isinstance(english, tuple) else ("", "")
            text += [
                f"msgid_plural {_quote(_unquote(keys['msgid_plural']))}",
                f"msgstr[0] {_quote(singular)}",
                f"msgstr[1] {_quote(plural)}",
            ]
        else:
            text.append(f"msgstr {_quote(english or '')}")
        out.append("\n".join(text))
    result = "\n\n".join(out)
    result = result.replace(
        '"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"',
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"',
    )
    result = result.replace(
        '"Content-Type: text/plain; charset=CHARSET\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
    )
    PO.write_text(result, encoding="utf-8")
    for msgid in missing:
        print("missing:", msgid, file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
