"""The console in a real browser against the served stack: a cooperative on a phone lists a
product with a photo and receives stock, its first secretary approves it, staff sell at the
counter and move stock from a village to the base with a shortfall; forged requests get the
backend's refusal and change nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from graphql_relay import to_global_id
from playwright.sync_api import Page, expect

from tests.e2e._browser import Axe
from tests.e2e.console_helpers import (
    OPERATOR,
    SECRETARY,
    STAFF,
    ConsoleSession,
    jpeg_bytes,
    messages,
    page_messages,
    sign_in,
)
from tests.e2e.stack import Stack

Shot = Callable[[Page, str], Path]

PRODUCT_STATE = """
query($id: ID!) { product(id: $id) { status approvedAt images { id }
  variants { sku prices { channel price { amount } } } } }"""
STOCK_OF = """
query($producers: [ID!]) { stocks(first: 100, filter: {producers: $producers}) {
  edges { node { quantity variant { sku } lot { code harvestDate bestBefore }
  warehouse { kind } } } } }"""
BASE_VARIANTS = """
{ products(first: 40, channel: "base", filter: {pickupAtBase: true}) { edges { node { name
  variants { id sku price(channel: "base") { amount }
  quantityAvailable(channel: "base") } } } } }"""
VILLAGE_STOCK = """
query($warehouses: [ID!]) {
  stocks(first: 100, filter: {onHandOnly: true, warehouses: $warehouses}) {
  edges { node { id quantity allocated quantityAvailable warehouse { id kind name }
  lot { code } variant { sku } } } } }"""
TRANSFERS = """
{ transfers(first: 20) { edges { node { code status source { name }
  lines { quantity quantityReceived shortfallReason variant { sku } } } } } }"""


def _me(stack: Stack, email: str) -> dict[str, Any]:
    query = "{ me { village { id name } producers { id name village { id } } } }"
    return stack.graphql(query, token=stack.token_for(email))["me"]


def test_operator_lists_product_with_photo_and_stock_and_secretary_approves(
    e2e_stack: Stack, phone_page: Page, page: Page, shot: Shot, axe: Axe
) -> None:
    operator = _me(e2e_stack, OPERATOR)
    village_id = operator["producers"][0]["village"]["id"]
    # Given: the operator's village requires its first secretary's approval.
    e2e_stack.sql(
        "UPDATE villages_village SET requires_listing_approval = true "
        "WHERE id = (SELECT village_id FROM accounts_user WHERE email = %s)",
        [SECRETARY],
    )
    sku = f"E2E-{int(time.time())}"
    phone = phone_page

    # The operator, on a phone, creates a product with one variant.
    sign_in(phone, e2e_stack, OPERATOR)
    shot(phone, "operator-products")
    phone.get_by_role("link", name="新建产品").click()
    phone.get_by_label("名称").fill("高山红富士（测试）")
    phone.get_by_label("SKU（货号）").fill(sku)
    phone.get_by_label("单位").fill("5 kg 箱")
    phone.get_by_label("净重（克）").fill("5000")
    phone.get_by_label("线上价（元）").fill("68.00")
    phone.get_by_label("基地柜台价（元）").fill("60.00")
    shot(phone, "operator-product-new")
    phone.get_by_role("button", name="保存为草稿").click()
    expect(phone.locator(".c-msg")).to_contain_text("产品已保存为草稿")
    product_id = re.search(r"/console/products/([^/]+)/$", phone.url).group(1)  # type: ignore[union-attr]

    # A file that is not a photo: the backend's refusal is shown in words, nothing stored.
    file_input = phone.locator("input#photo")
    assert file_input.get_attribute("accept") == "image/*"
    assert file_input.get_attribute("capture") is not None
    file_input.set_input_files(
        {"name": "note.jpg", "mimeType": "image/jpeg", "buffer": b"this is not a photo"}
    )
    phone.get_by_role("button", name="上传照片").click()
    status = phone.locator("[data-upload-status]")
    expect(status).to_contain_text("照片未上传")
    expect(status).to_contain_text("INVALID_IMAGE")
    # A real photo, as the phone camera would give it: progress, then the thumbnail.
    file_input.set_input_files(
        {"name": "camera.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    phone.get_by_role("button", name="上传照片").click()
    expect(status).to_have_text("照片已上传。")
    assert phone.locator("progress[data-progress]").evaluate("p => p.value") == 100
    expect(phone.locator("[data-photos] img")).to_have_count(1)
    shot(phone, "operator-product-edit")
    axe.assert_clean(phone, "operator-product-edit")

    # Publishing directly is refused by the backend: the village requires approval.
    phone.get_by_role("button", name="直接上架").click()
    expect(phone.locator(".c-msg-error")).to_contain_text("APPROVAL_REQUIRED")
    phone.get_by_role("button", name="提交审核").click()
    expect(phone.get_by_test_id("product-status")).to_have_text("待审核")

    # Stock arrives at the village collection point, as a lot with its dates.
    phone.get_by_role("link", name="入库").click()
    option = phone.locator("#variant option", has_text=sku)
    phone.locator("#variant").select_option(option.get_attribute("value"))
    phone.get_by_label("数量（件）").fill("40")
    phone.get_by_label("批次号").fill(f"{sku}-L1")
    phone.get_by_label("采收日期").fill("2026-10-20")
    phone.get_by_label("保质期至").fill("2027-01-31")
    shot(phone, "operator-stock-receive")
    phone.get_by_role("button", name="入库").click()
    expect(phone.locator(".c-msg")).to_contain_text(f"已入库：批次 {sku}-L1")
    phone.get_by_role("link", name="我的产品").click()
    card = phone.locator(".c-card", has_text="高山红富士（测试）")
    expect(card.get_by_test_id("stock")).to_have_text("40")

    staff_token = e2e_stack.token_for(STAFF)
    state = e2e_stack.graphql(PRODUCT_STATE, {"id": product_id}, token=staff_token)["product"]
    assert state["status"] == "PENDING_APPROVAL"
    assert len(state["images"]) == 1
    assert state["variants"] == [
        {
            "sku": sku,
            "prices": [
                {"channel": "online", "price": {"amount": "68.00"}},
                {"channel": "base", "price": {"amount": "60.00"}},
            ],
        }
    ]
    stocks = e2e_stack.graphql(
        STOCK_OF, {"producers": [operator["producers"][0]["id"]]}, token=staff_token
    )["stocks"]["edges"]
    ours = [e["node"] for e in stocks if e["node"]["variant"]["sku"] == sku]
    assert ours == [
        {
            "quantity": 40,
            "variant": {"sku": sku},
            "lot": {"code": f"{sku}-L1", "harvestDate": "2026-10-20", "bestBefore": "2027-01-31"},
            "warehouse": {"kind": "VILLAGE"},
        }
    ]

    # The first secretary sees it waiting and approves it, which publishes it.
    sign_in(page, e2e_stack, SECRETARY)
    page.goto(e2e_stack.storefront_url + "/console/approvals/")
    section = page.get_by_test_id("approval").filter(has_text="高山红富士（测试）")
    expect(section.locator("img")).to_have_count(1)
    shot(page, "secretary-approvals")
    section.get_by_role("button", name="批准上架").click()
    expect(page.locator(".c-msg")).to_contain_text("已批准并上架：高山红富士（测试）")
    page.goto(e2e_stack.storefront_url + "/console/producers/")
    shot(page, "secretary-producers")
    state = e2e_stack.graphql(PRODUCT_STATE, {"id": product_id}, token=staff_token)["product"]
    assert state["status"] == "PUBLISHED"
    assert state["approvedAt"] is not None
    e2e_stack.sql("UPDATE villages_village SET requires_listing_approval = false WHERE id > 0")
    assert village_id


def _two_base_variants(stack: Stack, token: str) -> list[dict[str, Any]]:
    products = stack.graphql(BASE_VARIANTS, token=token)["products"]["edges"]
    found = [
        v
        for e in products
        for v in e["node"]["variants"]
        if v["price"] and v["quantityAvailable"] >= 3
    ]
    assert len(found) >= 2, "the demo county has goods at the base"
    return found[:2]


def test_staff_sell_two_items_at_the_counter(
    e2e_stack: Stack, page: Page, shot: Shot, axe: Axe
) -> None:
    token = e2e_stack.token_for(STAFF)
    first, second = _two_base_variants(e2e_stack, token)
    orders_before = e2e_stack.sql("SELECT count(*) FROM orders_order")[0][0]
    sign_in(page, e2e_stack, STAFF)
    page.goto(e2e_stack.storefront_url + "/console/counter/")
    for variant in (first, second):
        page.get_by_label("扫码或输入货号、名称").fill(variant["sku"])
        page.get_by_label("扫码或输入货号、名称").press("Enter")
        page.get_by_role("button", name="加入").first.click()
    expect(page.get_by_test_id("ticket-qty")).to_have_count(2)
    shot(page, "staff-counter")
    axe.assert_clean(page, "staff-counter")
    page.get_by_label("现金").check()
    page.get_by_role("button", name="收款并出小票").click()

    receipt = page.get_by_test_id("receipt-number")
    expect(receipt).to_be_visible()
    number = receipt.inner_text().strip()
    assert number
    expected = Decimal(first["price"]["amount"]) + Decimal(second["price"]["amount"])
    expect(page.get_by_test_id("receipt-total")).to_have_text(f"¥{expected:,.2f}")
    expect(page.get_by_role("button", name="打印小票")).to_be_visible()
    page.emulate_media(media="print")
    assert page.locator(".c-nav").is_hidden()
    shot(page, "staff-counter-receipt")
    page.emulate_media(media="screen")

    assert e2e_stack.sql("SELECT count(*) FROM orders_order")[0][0] == orders_before + 1
    rows = e2e_stack.sql(
        "SELECT o.receipt_number, o.total, p.gateway, p.captured_amount FROM orders_order o "
        "JOIN payments_payment p ON p.order_id = o.id WHERE o.receipt_number = %s",
        [number],
    )
    assert rows == [(number, expected, "cash", expected)]
    after = {v["sku"]: v for v in _two_base_variants_all(e2e_stack, token)}
    assert after[first["sku"]]["quantityAvailable"] == first["quantityAvailable"] - 1
    assert after[second["sku"]]["quantityAvailable"] == second["quantityAvailable"] - 1


def _two_base_variants_all(stack: Stack, token: str) -> list[dict[str, Any]]:
    products = stack.graphql(BASE_VARIANTS, token=token)["products"]["edges"]
    return [v for e in products for v in e["node"]["variants"]]


def test_staff_dispatch_and_receive_a_transfer_with_a_shortfall(
    e2e_stack: Stack, page: Page, shot: Shot
) -> None:
    token = e2e_stack.token_for(STAFF)
    villages = e2e_stack.graphql("{ warehouses(kind: VILLAGE) { id } }")["warehouses"]
    data = e2e_stack.graphql(
        VILLAGE_STOCK, {"warehouses": [w["id"] for w in villages]}, token=token
    )
    stocks = [e["node"] for e in data["stocks"]["edges"]]
    stock = next(
        s for s in stocks if s["warehouse"]["kind"] == "VILLAGE" and s["quantityAvailable"] >= 10
    )
    sign_in(page, e2e_stack, STAFF)
    page.goto(e2e_stack.storefront_url + "/console/transfers/")
    page.get_by_label("发出的收货点").select_option(stock["warehouse"]["id"])
    page.get_by_role("button", name="列出库存").click()
    page.get_by_label(f"{stock['variant']['sku']} 批次 {stock['lot']['code']} 发出数量").fill("10")
    shot(page, "staff-transfer-dispatch")
    page.get_by_role("button", name="发出调拨").click()
    expect(page.locator(".c-msg")).to_contain_text("已发出调拨单")
    code = re.search(r"已发出调拨单 (\S+)。", messages(page)[0]).group(1)  # type: ignore[union-attr]

    form = page.locator(f"form.c-transfer[data-code='{code}']")
    form.get_by_label(f"{stock['variant']['sku']} 实收数量").fill("9")
    form.get_by_label(f"{stock['variant']['sku']} 短少原因").fill("运输途中压坏一箱")
    shot(page, "staff-transfer-receive")
    form.get_by_role("button", name="确认收货").click()
    expect(page.locator(".c-msg")).to_contain_text(f"调拨单 {code} 已在基地收货")

    transfers = [e["node"] for e in e2e_stack.graphql(TRANSFERS, token=token)["transfers"]["edges"]]
    ours = next(t for t in transfers if t["code"] == code)
    assert ours["status"] == "RECEIVED"
    assert ours["lines"] == [
        {
            "quantity": 10,
            "quantityReceived": 9,
            "shortfallReason": "运输途中压坏一箱",
            "variant": {"sku": stock["variant"]["sku"]},
        }
    ]
    page.goto(e2e_stack.storefront_url + "/console/stock/count/")
    shot(page, "staff-stock-count")
    page.goto(e2e_stack.storefront_url + "/console/stock/expiring/")
    shot(page, "staff-expiring")


def test_forged_console_requests_get_the_backend_refusal_and_change_nothing(
    e2e_stack: Stack,
) -> None:
    token = e2e_stack.token_for(STAFF)
    variant = _two_base_variants(e2e_stack, token)[0]
    orders_before = e2e_stack.sql("SELECT count(*) FROM orders_order")[0][0]
    moves_before = e2e_stack.sql("SELECT count(*) FROM inventory_stockmovement")[0][0]
    operator = ConsoleSession(e2e_stack, OPERATOR)
    try:
        # The operator's console has no counter; the form posted anyway reaches the backend.
        answer = operator.post(
            "/console/counter/",
            {
                "action": "sell",
                "line_variant": [variant["id"]],
                "line_quantity": ["1"],
                "payment_method": "CASH",
            },
        )
        assert answer.status_code == 200
        shown = page_messages(answer.text)
        assert any("未售出" in m and "PERMISSION_DENIED" in m for m in shown), shown
        navigation = answer.text.split('<nav class="c-nav"')[1].split("</nav>")[0]
        assert "/console/counter/" not in navigation  # the operator's console hides it

        # Approving is for the first secretary: the backend refuses the operator.
        pending = e2e_stack.sql(
            "SELECT id FROM catalog_product WHERE status = 'published' ORDER BY id LIMIT 1"
        )[0][0]
        answer = operator.post(
            "/console/approvals/",
            {"action": "approve", "product": to_global_id("Product", pending), "name": "x"},
        )
        shown = page_messages(answer.text)
        assert any("未处理" in m and ("PERMISSION_DENIED" in m or "NOT_FOUND" in m) for m in shown)
    finally:
        operator.close()
    assert e2e_stack.sql("SELECT count(*) FROM orders_order")[0][0] == orders_before
    assert e2e_stack.sql("SELECT count(*) FROM inventory_stockmovement")[0][0] == moves_before
