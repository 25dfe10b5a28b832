"""The console's views through Django's test client, against the real backend (DEBUG off).

No backend answer is mocked: sign-in goes to tokenCreate, uploads to productImageCreate, the
counter to baseSaleCreate; what changed is read back from the backend's database.
"""

from __future__ import annotations

import io
import json
import re
import time

from django.test import Client
from PIL import Image

from tests.e2e.stack import DEMO_PASSWORD, Stack

JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{10,}\.")
BASE_VARIANT = """
{ products(first: 20, channel: "base", filter: {pickupAtBase: true}) { edges { node {
  variants { id sku quantityAvailable(channel: "base") } } } } }"""


def _csrf(client: Client, path: str) -> str:
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(path).content)
    assert match, f"no CSRF token on {path}"
    return match.group(1).decode()


def _sign_in(client: Client, email: str, password: str = DEMO_PASSWORD) -> object:
    token = _csrf(client, "/console/login/")
    return client.post(
        "/console/login/",
        {"email": email, "password": password, "csrfmiddlewaretoken": token},
    )


def _messages(content: bytes) -> list[str]:
    html = content.decode()
    found = re.findall(r'class="c-msg[^"]*">(.*?)</li>', html, re.S)
    return [re.sub(r"<[^>]+>", "", m).strip() for m in found]


def _nav(content: bytes) -> str:
    return content.decode().split('<nav class="c-nav"')[1].split("</nav>")[0]


def test_console_pages_need_sign_in(shop: Client) -> None:
    response = shop.get("/console/products/")

    assert response.status_code == 302
    assert response["Location"] == "/console/login/?next=%2Fconsole%2Fproducts%2F"


def test_sign_in_keeps_the_api_token_on_the_server(shop: Client) -> None:
    response = _sign_in(shop, "operator@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    session_cookie = response.cookies["sessionid"]
    assert session_cookie["httponly"]
    for morsel in response.cookies.values():
        assert not JWT.search(morsel.value.encode()), morsel.key
    page = shop.get("/console/products/")
    assert page.status_code == 200
    assert not JWT.search(page.content)
    auth = shop.session["console_auth"]
    assert auth["role"] == "OPERATOR"
    assert auth["token"].startswith("eyJ")  # it is in the server-side session only


def test_wrong_password_shows_the_backends_refusal(shop: Client) -> None:
    response = _sign_in(shop, "operator@example.com", password="wrong-password")

    assert response.status_code == 400
    text = response.content.decode()
    assert "[INVALID_CREDENTIALS]" in text or "[INVALID]" in text or "c-msg-error" in text
    assert "console_auth" not in shop.session


def test_a_consumer_cannot_use_the_console(shop: Client) -> None:
    response = _sign_in(shop, "consumer@example.com")

    assert response.status_code == 400
    assert "NOT_CONSOLE_USER" in response.content.decode()
    assert shop.get("/console/products/").status_code == 302


def test_navigation_follows_the_role(shop: Client) -> None:
    _sign_in(shop, "operator@example.com")
    operator_nav = _nav(shop.get("/console/products/").content)
    shop.post("/console/logout/", {"csrfmiddlewaretoken": _csrf(shop, "/console/products/")})
    _sign_in(shop, "staff@example.com")
    staff_nav = _nav(shop.get("/console/counter/").content)

    assert "/console/products/" in operator_nav and "/console/counter/" not in operator_nav
    assert "/console/month-close/" not in operator_nav
    assert "/console/counter/" in staff_nav and "/console/month-close/" in staff_nav
    assert "/console/products/" not in staff_nav


def test_operator_posting_the_counter_sale_gets_the_backends_refusal(
    shop: Client, backend_stack: Stack
) -> None:
    token = backend_stack.token_for("staff@example.com")
    products = backend_stack.graphql(BASE_VARIANT, token=token)["products"]["edges"]
    variant = next(v for e in products for v in e["node"]["variants"] if v["quantityAvailable"] > 0)
    orders_before = backend_stack.sql("SELECT count(*) FROM orders_order")[0][0]
    moves_before = backend_stack.sql("SELECT count(*) FROM inventory_stockmovement")[0][0]
    _sign_in(shop, "operator@example.com")

    response = shop.post(
        "/console/counter/",
        {
            "action": "sell",
            "line_variant": [variant["id"]],
            "line_quantity": ["2"],
            "payment_method": "CASH",
            "csrfmiddlewaretoken": _csrf(shop, "/console/products/"),
        },
        follow=True,
    )

    shown = _messages(response.content)
    assert any("未售出" in m and "[PERMISSION_DENIED]" in m for m in shown), shown
    assert backend_stack.sql("SELECT count(*) FROM orders_order")[0][0] == orders_before
    assert backend_stack.sql("SELECT count(*) FROM inventory_stockmovement")[0][0] == moves_before
    after = backend_stack.graphql(BASE_VARIANT, token=token)["products"]["edges"]
    same = next(v for e in after for v in e["node"]["variants"] if v["id"] == variant["id"])
    assert same["quantityAvailable"] == variant["quantityAvailable"]


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_photo_upload_forwards_to_the_backend_and_shows_its_refusal(
    shop: Client, backend_stack: Stack
) -> None:
    _sign_in(shop, "operator@example.com")
    form = shop.get("/console/products/new/").content.decode()
    producer = re.search(r'id="producer"[^>]*>\s*<option value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    category = re.search(r'id="category"[^>]*>\s*<option value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    sku = f"SF-{time.time_ns()}"
    created = shop.post(
        "/console/products/new/",
        {
            "producer": producer,
            "category": category,
            "name": "视图测试小米",
            "sku": sku,
            "unit_label": "2.5 kg 袋",
            "weight_g": "2500",
            "price_online": "39.90",
            "csrfmiddlewaretoken": _csrf(shop, "/console/products/new/"),
        },
    )
    assert created.status_code == 302
    edit = created["Location"]
    csrf = _csrf(shop, edit)
    xhr = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_X_CSRFTOKEN": csrf}

    refused = shop.post(
        edit + "photos/",
        {"photo": _named(b"%PDF-1.4 not a photo", "scan.jpg")},
        **xhr,
    )
    accepted = shop.post(edit + "photos/", {"photo": _named(_jpeg(), "camera.jpg")}, **xhr)

    assert refused.status_code == 400
    body = json.loads(refused.content)
    assert body["ok"] is False
    assert [e["code"] for e in body["errors"]] == ["INVALID_IMAGE"]
    assert "JPEG" in body["errors"][0]["message"]
    assert accepted.status_code == 200
    image = json.loads(accepted.content)["image"]
    assert (image["width"], image["height"]) == (640, 480)
    rows = backend_stack.sql(
        "SELECT count(*) FROM catalog_productimage i JOIN catalog_productvariant v "
        "ON v.product_id = i.product_id WHERE v.sku = %s",
        [sku],
    )
    assert rows == [(1,)]


def _named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle
