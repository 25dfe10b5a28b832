"""A consumer buys honey in a real browser against the served stack (storefront -> backend).

Search 蜂蜜, open a product, add it to the cart, check out with pick-up at the base and the
demo payment, and see the order paid with its village: on a desktop and on a 390x844 phone.
axe runs on every key page on the way and screenshots are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e._browser import Axe
from tests.e2e.stack import Stack

ORDER_STATE = """
query($number: String!) {
  orders(first: 1, filter: {number: $number}) { totalCount }
}"""


def _order_row(stack: Stack, number: str) -> tuple[str, str, int | None]:
    rows = stack.sql(
        "SELECT o.status, o.payment_status, o.user_id FROM orders_order o WHERE o.number = %s",
        [number],
    )
    assert len(rows) == 1, f"order {number} not in the database"
    return rows[0]


def buy_honey(
    page: Page, stack: Stack, axe: Axe, shot: Callable[[Page, str], Path], label: str
) -> str:
    base = stack.storefront_url
    page.goto(base + "/")
    expect(page).to_have_title("甘泉乡村好物 · 联盟集市")
    axe.assert_clean(page, f"{label}-home")
    shot(page, f"{label}-home")

    page.get_by_label("搜索商品").fill("蜂蜜")
    page.get_by_label("搜索商品").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("搜索“蜂蜜”")
    cards = page.locator(".card")
    expect(cards.first).to_be_visible()
    names = cards.locator(".name").all_inner_texts()
    assert names and all("蜂蜜" in name for name in names), names
    axe.assert_clean(page, f"{label}-search")
    shot(page, f"{label}-search")

    cards.first.locator("a").click()
    heading = page.get_by_role("heading", level=1)
    product_name = heading.inner_text()
    assert "蜂蜜" in product_name
    village = page.locator(".origin a").first.inner_text()
    assert village.endswith(("村", "社区")), village
    assert page.locator('meta[property="og:type"]').get_attribute("content") == "product"
    og_image = page.locator('meta[property="og:image"]').get_attribute("content") or ""
    assert og_image.startswith("http"), og_image
    axe.assert_clean(page, f"{label}-product")
    shot(page, f"{label}-product")

    # the first variant that can be bought online
    page.locator(".variants input[type=radio]:not([disabled])").first.check()
    page.get_by_role("button", name="加入购物车").click()
    expect(page).to_have_url(base + "/cart/")
    expect(page.locator(".line")).to_have_count(1)
    expect(page.locator(".line")).to_contain_text(product_name)
    expect(page.locator("header .count")).to_have_text("1")
    axe.assert_clean(page, f"{label}-cart")
    shot(page, f"{label}-cart")

    page.get_by_role("link", name="去结算").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("结算")
    axe.assert_clean(page, f"{label}-checkout")
    page.get_by_label("电子邮箱（接收订单确认）").fill("e2e-buyer@example.com")
    page.get_by_label("到联盟基地自提（甘泉县工业园区）").check()
    shot(page, f"{label}-checkout")
    page.get_by_role("button", name="提交订单并付款").click()

    expect(page.get_by_role("heading", name="演示支付（不会真实扣款）")).to_be_visible()
    axe.assert_clean(page, f"{label}-pay")
    shot(page, f"{label}-pay")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert number.startswith("AM"), page.url
    # not paid before the buyer pays: the storefront marks nothing itself
    assert _order_row(stack, number)[1] == "not_charged"

    page.get_by_role("button", name="演示支付：确认付款").click()
    expect(page).to_have_url(f"{base}/orders/{number}/confirmation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("付款成功，谢谢您！")
    expect(page.locator(".status")).to_contain_text("已付款")
    expect(page.locator(".status")).to_contain_text("基地自提")
    expect(page.locator(".order-lines")).to_contain_text(village)
    expect(page.locator(".order-lines")).to_contain_text(product_name)
    axe.assert_clean(page, f"{label}-confirmation")
    shot(page, f"{label}-confirmation")

    status, payment_status, _user = _order_row(stack, number)
    assert payment_status == "fully_charged", payment_status
    assert status == "unfulfilled", status
    expect(page.locator("header .count")).to_have_text("0")
    return number


def test_consumer_buys_honey_with_pickup_and_demo_payment(
    page: Page, e2e_stack: Stack, axe: Axe, shot: Callable[[Page, str], Path]
) -> None:
    buy_honey(page, e2e_stack, axe, shot, "desktop")


def test_the_same_on_a_phone(
    phone_page: Page, e2e_stack: Stack, axe: Axe, shot: Callable[[Page, str], Path]
) -> None:
    buy_honey(phone_page, e2e_stack, axe, shot, "phone")
    # nothing wider than the screen
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width


def test_invalid_address_shows_errors_next_to_the_fields(page: Page, e2e_stack: Stack) -> None:
    base = e2e_stack.storefront_url
    page.goto(base + "/search/?q=蜂蜜")
    page.locator(".card a").first.click()
    page.locator(".variants input[type=radio]:not([disabled])").first.check()
    page.get_by_role("button", name="加入购物车").click()
    page.goto(base + "/checkout/")
    page.get_by_label("电子邮箱（接收订单确认）").fill("e2e-address@example.com")
    page.get_by_label("快递配送").check()
    # province -> city -> district from the division dataset (the page refreshes its lists)
    page.get_by_label("省份").select_option(label="陕西省")
    expect(page.get_by_label("城市")).to_contain_text("延安市")
    page.get_by_label("城市").select_option(label="延安市")
    expect(page.get_by_label("区县")).to_contain_text("甘泉县")
    page.get_by_label("区县").select_option(label="甘泉县")
    page.get_by_label("详细地址（街道、门牌号）").fill("美水街道 1 号")
    page.get_by_label("收货人").fill("王芳")
    page.get_by_label("手机号码").fill("12345")
    page.get_by_role("button", name="提交订单并付款").click()

    phone = page.get_by_label("手机号码")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-err")).to_contain_text("11 位手机号")
    # what was typed stays, and nothing was ordered
    expect(page.get_by_label("区县")).to_have_value("610627")
    expect(page.get_by_label("收货人")).to_have_value("王芳")
    assert e2e_stack.sql(
        "SELECT count(*) FROM orders_order WHERE email = %s", ["e2e-address@example.com"]
    ) == [(0,)]


def test_out_of_stock_is_explained(page: Page, e2e_stack: Stack) -> None:
    base = e2e_stack.storefront_url
    page.goto(base + "/search/?q=蜂蜜")
    page.locator(".card a").first.click()
    page.locator(".variants input[type=radio]:not([disabled])").first.check()
    page.get_by_label("数量").fill("999")
    page.get_by_role("button", name="加入购物车").click()
    expect(page.locator(".msg.error")).to_contain_text("库存不足")
