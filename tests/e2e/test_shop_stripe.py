"""A buyer pays with Stripe in a real browser: storefront -> backend -> local Stripe server.

A stack of its own (tests/e2e/stack.py): a backend whose Stripe keys point at a
tests/stripe_server StripeServer running in this process (DEMO_MODE off, so no demo
gateway), a storefront with a publishable key, and the demo county without its year of
history or photos (fast). The signed-in consumer buys with pick-up at the base and reaches
the payment page, which carries the client secret of the PaymentIntent the Stripe server
created (card, Alipay and WeChat Pay allowed). Stripe.js cannot load here (no internet, and
the test refuses js.stripe.com so that the same holds on a connected machine): the page
must say so instead of showing an empty form. The return page the storefront gives Stripe
shows "not paid" until the backend hears from Stripe (even when the URL says
redirect_status=succeeded), and paid once the signed payment_intent.succeeded webhook has
been delivered: the storefront asks the backend, it never decides.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e._browser import Axe, artifacts_root
from tests.e2e.stack import Stack
from tests.stripe_server import StripeServer, event_body, sign

PUBLISHABLE_KEY = "pk_test_e2e_storefront"
WEBHOOK_SECRET = "whsec_e2e_stripe_flow"
BUYER = "consumer@example.com"
PASSWORD = "alliance-demo"


@pytest.fixture(scope="module")
def stripe_server() -> Iterator[StripeServer]:
    server = StripeServer(api_key="sk_test_e2e_local_stripe_server").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def stripe_stack(stripe_server: StripeServer) -> Iterator[Stack]:
    stack = Stack(
        artifacts_root(),
        name_suffix="stripe",
        demo_options=("--no-history", "--no-photos"),
        backend_extra_env={
            "DEMO_MODE": "0",
            "STRIPE_SECRET_KEY": stripe_server.api_key,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_server.url,
        },
        storefront_extra_env={"STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY},
    )
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def _session(stack: Stack, page: Page) -> dict[str, Any]:
    """The storefront's server-side session of this browser (file backend), decoded without
    checking its signature: [.]base64(json, zlib-compressed when dotted):timestamp:signature."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    raw = (stack.storefront_session_dir / f"sessionid{cookie['value']}").read_text()
    payload = raw.split(":", 1)[0]
    compressed = payload.startswith(".")
    data = base64.urlsafe_b64decode(payload.lstrip(".") + "=" * (-len(payload.lstrip(".")) % 4))
    return json.loads(zlib.decompress(data) if compressed else data)


def _order_row(stack: Stack, number: str) -> tuple[str, str, str | None]:
    rows = stack.sql(
        "SELECT o.status, o.payment_status, p.psp_reference FROM orders_order o "
        "LEFT JOIN payments_payment p ON p.order_id = o.id WHERE o.number = %s",
        [number],
    )
    assert len(rows) == 1, f"order {number}: {rows}"
    return rows[0]


def _assert_no_secrets(html: str, secrets: dict[str, str], where: str) -> None:
    for name, value in secrets.items():
        assert value and value not in html, f"the {name} appears in the HTML of {where}"


def test_buyer_pays_with_stripe_and_sees_the_backends_answer(
    page: Page,
    stripe_stack: Stack,
    stripe_server: StripeServer,
    axe: Axe,
    shot: Callable[[Page, str], Path],
) -> None:
    stack, base = stripe_stack, stripe_stack.storefront_url
    refused: list[str] = []

    def refuse(route: Route) -> None:
        refused.append(route.request.url)
        route.abort("internetdisconnected")

    page.route("https://js.stripe.com/**", refuse)

    # signed in: the storefront then holds API tokens that must stay on the server
    page.goto(base + "/account/signin/")
    page.get_by_label("电子邮箱").fill(BUYER)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("form.narrow button[type=submit]").click()
    expect(page).not_to_have_url(base + "/account/signin/")

    page.goto(base + "/search/?q=蜂蜜")
    page.locator(".card a").first.click()
    product_name = page.get_by_role("heading", level=1).inner_text()
    page.locator(".variants input[type=radio]:not([disabled])").first.check()
    page.get_by_role("button", name="加入购物车").click()
    expect(page).to_have_url(base + "/cart/")
    expect(page.locator(".line")).to_have_count(1)
    page.get_by_role("link", name="去结算").click()
    expect(page.get_by_label("电子邮箱（接收订单确认）")).to_have_value(BUYER)
    page.get_by_label("到联盟基地自提（甘泉县工业园区）").check()
    requests_before = len(stripe_server.requests)
    page.get_by_role("button", name="提交订单并付款").click()

    # --- the payment page --------------------------------------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text("支付")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert number.startswith("AM"), page.url
    status, payment_status, pi_id = _order_row(stack, number)
    # a payment was started (the order's payment status says so), nothing was paid
    assert (status, payment_status) == ("unconfirmed", "pending")
    assert pi_id and pi_id.startswith("pi_"), pi_id

    created = [
        r
        for r in stripe_server.requests[requests_before:]
        if (r.method, r.path, r.status) == ("POST", "/v1/payment_intents", 200)
    ]
    assert len(created) == 1, stripe_server.requests[requests_before:]
    params = created[0].params
    assert sorted(params["allowed_payment_method_types"]) == ["alipay", "card", "wechat_pay"]
    assert params["currency"] == "cny"
    assert params["metadata"]["order_number"] == number
    assert created[0].idempotency_key and created[0].idempotency_key.endswith(":payment-intent")
    intent = stripe_server.payment_intents[pi_id]
    order_total_fen = stack.sql("SELECT total FROM orders_order WHERE number = %s", [number])
    assert intent["amount"] == int(order_total_fen[0][0] * 100)

    form = page.locator("#stripe-form")
    expect(page.locator("#payment-element")).to_be_attached()
    assert form.get_attribute("data-secret") == intent["client_secret"]
    assert form.get_attribute("data-key") == PUBLISHABLE_KEY
    assert form.get_attribute("data-stripe-js") == "https://js.stripe.com/v3/"
    return_url = form.get_attribute("data-return") or ""
    assert return_url == f"{base}/orders/{number}/confirmation/", return_url
    # no demo payment beside Stripe
    expect(page.get_by_text("演示支付")).to_have_count(0)
    expect(page.locator("form[action$='/demo/']")).to_have_count(0)

    # Stripe.js could not load: a clear message, no usable pay button, links to go on
    expect(page.locator("#payment-unavailable")).to_be_visible()
    expect(page.locator("#payment-unavailable")).to_contain_text("支付组件暂时无法加载")
    expect(page.locator("#payment-loading")).to_be_hidden()
    expect(page.locator("#pay-button")).to_be_hidden()
    expect(page.locator("#pay-button")).to_be_disabled()
    assert refused == ["https://js.stripe.com/v3/"], refused
    expect(page.get_by_role("link", name="查看订单状态")).to_have_attribute(
        "href", f"/orders/{number}/confirmation/"
    )

    session = _session(stack, page)
    secrets = {
        "API access token": session["shop_auth"]["token"],
        "API refresh token": session["shop_auth"]["refresh"],
        "checkout token": session["shop_orders"][number]["checkout"],
        "Stripe secret key": stripe_server.api_key,
        "webhook secret": WEBHOOK_SECRET,
    }
    _assert_no_secrets(page.content(), secrets, "the payment page")
    axe.assert_clean(page, "pay-stripe-unavailable")
    shot(page, "pay-stripe-unavailable")
    # a reload resumes the same PaymentIntent (no second one at Stripe)
    page.reload()
    assert page.locator("#stripe-form").get_attribute("data-secret") == intent["client_secret"]

    # --- back from Stripe before it reported anything: not paid ------------------------------
    back = (
        return_url
        + "?"
        + urlencode(
            {
                "payment_intent": pi_id,
                "payment_intent_client_secret": intent["client_secret"],
                "redirect_status": "succeeded",  # what the browser says counts for nothing
            }
        )
    )
    page.goto(back)
    expect(page.get_by_role("heading", level=1)).to_have_text("订单已提交")
    expect(page.locator(".status")).to_have_attribute("data-payment-status", "PENDING")
    expect(page.locator(".status")).not_to_contain_text("已付款")
    expect(page.locator(".msg.info")).to_contain_text("我们还没有收到这笔付款的确认")
    expect(page.get_by_role("link", name="去付款")).to_be_visible()
    _assert_no_secrets(page.content(), secrets, "the confirmation page (not paid)")
    shot(page, "confirmation-waiting")
    assert _order_row(stack, number)[:2] == ("unconfirmed", "pending")

    # --- the customer pays at Stripe; Stripe's webhook reaches the backend -------------------
    paid_intent = json.loads(json.dumps(stripe_server.succeed_payment_intent(pi_id)))
    body = event_body("payment_intent.succeeded", paid_intent)
    response = httpx.post(
        f"{stack.backend_url}/webhooks/stripe/",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Stripe-Signature": sign(body, WEBHOOK_SECRET),
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text[:500]
    assert response.json().get("outcome") == "applied", response.text[:500]
    assert _order_row(stack, number)[:2] == ("unfulfilled", "fully_charged")

    page.goto(back)
    expect(page.get_by_role("heading", level=1)).to_have_text("付款成功，谢谢您！")
    expect(page.locator(".status")).to_have_attribute("data-payment-status", "FULLY_CHARGED")
    expect(page.locator(".status")).to_contain_text("已付款")
    expect(page.locator(".status")).to_contain_text("基地自提")
    expect(page.locator(".order-lines")).to_contain_text(product_name)
    expect(page.get_by_role("link", name="去付款")).to_have_count(0)
    _assert_no_secrets(page.content(), secrets, "the confirmation page (paid)")
    axe.assert_clean(page, "confirmation-paid")
    shot(page, "confirmation-paid")

    # the paid order's payment page sends the buyer to the confirmation
    page.goto(f"{base}/checkout/pay/{number}/")
    expect(page).to_have_url(f"{base}/orders/{number}/confirmation/")
    creates = [
        r for r in stripe_server.requests if (r.method, r.path) == ("POST", "/v1/payment_intents")
    ]
    # the reload and every later page resumed the same PaymentIntent
    assert creates == created, "a second PaymentIntent was created for the same order"
