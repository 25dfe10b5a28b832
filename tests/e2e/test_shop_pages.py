"""Storefront pages in a real browser: the English switch, a category with filters, the
account with the origin of every order line, and the page shown when the backend is down."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e._browser import Axe
from tests.e2e.stack import Stack, free_port


def test_english_switch(page: Page, e2e_stack: Stack, shot: Callable[[Page, str], Path]) -> None:
    page.goto(e2e_stack.storefront_url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    expect(page.get_by_role("heading", level=1)).to_have_text("甘泉乡村好物")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Good things from Ganquan's villages")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page).to_have_title("Good things from Ganquan's villages · Alliance Market")
    expect(page.get_by_role("link", name="Honey")).to_be_visible()  # category nameEn
    shot(page, "home-en")

    # the choice sticks across pages, and goes back
    page.get_by_role("link", name="Honey").click()
    expect(page.get_by_text("Filter and sort")).to_be_visible()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_text("筛选与排序")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "zh-CN"


def test_category_filters_and_sorting(
    page: Page, e2e_stack: Stack, axe: Axe, shot: Callable[[Page, str], Path]
) -> None:
    page.goto(e2e_stack.storefront_url + "/c/honey/")
    expect(page).to_have_title("蜂蜜 · 联盟集市")
    description = page.locator('meta[name="description"]').get_attribute("content") or ""
    assert "蜂蜜" in description
    axe.assert_clean(page, "category")
    shot(page, "category")

    page.get_by_text("筛选与排序").click()
    page.get_by_label("可到基地自提").check()
    page.get_by_label("排序").select_option("price")
    page.get_by_role("button", name="应用").click()
    assert "pickup=1" in page.url and "sort=price" in page.url
    prices = [
        float(text.replace("¥", "").replace(",", "").split()[0])
        for text in page.locator(".card .price").all_inner_texts()
    ]
    assert prices, "some honey can be picked up at the base"
    assert prices == sorted(prices), prices
    expect(page.get_by_label("可到基地自提")).to_be_checked()


def test_sign_in_and_see_where_order_lines_came_from(
    page: Page, e2e_stack: Stack, axe: Axe, shot: Callable[[Page, str], Path]
) -> None:
    base = e2e_stack.storefront_url
    page.goto(base + "/account/")
    expect(page).to_have_url(base + "/account/signin/?next=/account/")
    axe.assert_clean(page, "signin")
    page.get_by_label("电子邮箱").fill("consumer@example.com")
    page.get_by_label("密码").fill("alliance-demo")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("我的订单")
    # buy honey signed in: the order is the consumer's
    page.goto(base + "/search/?q=蜂蜜")
    page.locator(".card a").first.click()
    page.locator(".variants input[type=radio]:not([disabled])").first.check()
    page.get_by_role("button", name="加入购物车").click()
    page.get_by_role("link", name="去结算").click()
    expect(page.get_by_label("电子邮箱（接收订单确认）")).to_have_value("consumer@example.com")
    page.get_by_label("到联盟基地自提（甘泉县工业园区）").check()
    page.get_by_role("button", name="提交订单并付款").click()
    page.get_by_role("button", name="演示支付：确认付款").click()
    expect(page.locator(".status")).to_contain_text("已付款")
    bought = page.url.rstrip("/").rsplit("/", 2)[-2]

    page.goto(base + "/account/")
    orders = page.locator(".orders li")
    expect(orders.first).to_be_visible()
    axe.assert_clean(page, "account")
    shot(page, "account")
    # the API token never reaches the browser: only a session id cookie
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert set(cookies) <= {"sessionid", "csrftoken", "django_language"}, cookies
    assert not any(value.startswith("eyJ") for value in cookies.values())
    storage = page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert "eyJ" not in storage

    number = orders.first.locator("a").inner_text()
    assert number == bought
    orders.first.locator("a").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expected = e2e_stack.sql(
        "SELECT DISTINCT l.village_name FROM orders_orderline l "
        "JOIN orders_order o ON o.id = l.order_id WHERE o.number = %s",
        [number],
    )
    assert expected
    origins = page.locator(".origin-cell").all_inner_texts()
    for (village,) in expected:
        assert any(village in text for text in origins), (village, origins)
    axe.assert_clean(page, "order-detail")
    shot(page, "order-detail")

    page.goto(base + "/account/")
    page.get_by_role("button", name="退出登录").click()
    page.goto(base + "/account/")
    expect(page).to_have_url(base + "/account/signin/?next=/account/")


def test_backend_down_page(page: Page, e2e_stack: Stack, shot: Callable[[Page, str], Path]) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with e2e_stack.start_storefront(backend_url=dead) as storefront:
        response = httpx.get(storefront.url + "/", timeout=20)
        assert response.status_code == 503
        assert "商城暂时无法连接" in response.text
        assert "Traceback" not in response.text
        page.goto(storefront.url + "/products/1/")
        expect(page.get_by_role("heading", level=1)).to_have_text("商城暂时无法连接")
        shot(page, "backend-down")
