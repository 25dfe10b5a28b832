"""The storefront's views through Django's test client, against the real backend (DEBUG off).

No backend answer is mocked; what the tests read back (orders, sessions) they read from the
backend's database or the storefront's own session store.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.cache import cache
from django.test import Client, override_settings

from tests.e2e.stack import Stack, free_port

HONEY_VARIANT = """
query {
  products(first: 5, channel: "online", filter: {search: "蜂蜜", inStock: true}) {
    edges { node { id name variants { id quantityAvailable(channel: "online") } } }
  }
}"""


def _csrf(client: Client, path: str) -> str:
    response = client.get(path)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', response.content)
    assert match, f"no CSRF token on {path}"
    return match.group(1).decode()


def _honey(stack: Stack) -> tuple[str, str, str]:
    """(product pk, product name, variant id) of honey that can be bought online."""
    import base64

    for edge in stack.graphql(HONEY_VARIANT)["products"]["edges"]:
        node = edge["node"]
        for variant in node["variants"]:
            if variant["quantityAvailable"] > 5:
                pk = base64.b64decode(node["id"]).decode().split(":")[1]
                return pk, node["name"], variant["id"]
    raise AssertionError("the demo county has no honey in stock")


def test_home_lists_categories_seasonal_picks_and_villages(shop: Client) -> None:
    response = shop.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    assert "<title>甘泉乡村好物 · 联盟集市</title>" in html
    assert '<meta name="description" content="' in html
    for category in ("蔬菜", "水果", "杂粮", "菌类", "蜂蜜"):
        assert f'">{category}</a>' in html
    assert html.count('class="card"') == 8
    assert "全部 63 个村庄" in html
    assert 'href="#main"' in html  # skip link


def test_catalog_answers_are_cached_per_language_and_variables(shop: Client) -> None:
    cache.clear()
    shop.get("/c/honey/?sort=price")
    keys_zh = set(cache._cache.keys())  # type: ignore[attr-defined]  # LocMemCache
    assert keys_zh, "catalog answers were cached"
    shop.cookies["django_language"] = "en"
    shop.get("/c/honey/?sort=price")
    keys_both = set(cache._cache.keys())  # type: ignore[attr-defined]
    assert len(keys_both) > len(keys_zh)  # English has its own keys
    shop.get("/c/honey/?sort=name")
    assert len(set(cache._cache.keys())) > len(keys_both)  # type: ignore[attr-defined]


def test_category_filters_reach_the_backend(shop: Client, backend_stack: Stack) -> None:
    everything = shop.get("/c/honey/")
    assert everything.status_code == 200
    total = int(re.search(r"共 (\d+) 件商品", everything.content.decode()).group(1))  # type: ignore[union-attr]
    cheap = shop.get("/c/honey/", {"max": "60", "sort": "price"}).content.decode()
    prices = [float(p.replace(",", "")) for p in re.findall(r"¥([\d,]+\.\d\d) 起", cheap)]
    assert prices and all(p <= 60 for p in prices), prices
    assert prices == sorted(prices)
    pickup = shop.get("/c/honey/", {"pickup": "1"}).content.decode()
    pickup_total = int(re.search(r"共 (\d+) 件商品", pickup).group(1))  # type: ignore[union-attr]
    assert 0 < pickup_total <= total
    assert 'id="f-pickup" name="pickup" value="1" checked' in pickup
    assert shop.get("/c/no-such-category/").status_code == 404


def test_product_page_has_open_graph_tags_and_origin(shop: Client, backend_stack: Stack) -> None:
    pk, name, _variant = _honey(backend_stack)
    response = shop.get(f"/products/{pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"<title>{name} · 联盟集市</title>" in html
    assert '<meta property="og:type" content="product">' in html
    assert f'<meta property="og:title" content="{name}">' in html
    image = re.search(r'<meta property="og:image" content="([^"]+)">', html)
    assert image and image.group(1).startswith(backend_stack.backend_url + "/media/")
    assert re.search(r'<meta property="og:price:amount" content="\d+\.\d\d">', html)
    assert 'srcset="' in html and "w, " in html
    assert "净含量" in html and "产地" in html and "保质期至" in html
    assert shop.get("/products/999999999/").status_code == 404


def test_post_without_csrf_token_is_refused(shop: Client, backend_stack: Stack) -> None:
    _pk, _name, variant = _honey(backend_stack)
    response = shop.post("/cart/add/", {"variant": variant, "quantity": "1"})
    assert response.status_code == 403
    assert "表单已过期" in response.content.decode()
    assert "sessionid" not in response.cookies or not shop.get("/cart/").context["cart_count"]


def test_cart_add_out_of_stock_and_checkout_field_errors(
    shop: Client, backend_stack: Stack
) -> None:
    pk, name, variant = _honey(backend_stack)
    token = _csrf(shop, f"/products/{pk}/")
    too_many = shop.post(
        "/cart/add/",
        {"variant": variant, "quantity": "99999", "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert "库存不足" in too_many.content.decode()

    added = shop.post(
        "/cart/add/", {"variant": variant, "quantity": "1", "csrfmiddlewaretoken": token}
    )
    assert added.status_code == 302 and added["Location"] == "/cart/"
    cart = shop.get("/cart/")
    assert name in cart.content.decode()
    assert cart.context["cart_count"] == 1
    # the checkout token and any API token stay in the server-side session
    assert set(shop.cookies) <= {"sessionid", "csrftoken", "django_language"}
    assert len(shop.cookies["sessionid"].value) < 64

    response = shop.post(
        "/checkout/",
        {
            "csrfmiddlewaretoken": token,
            "email": "views-test@example.com",
            "delivery": "DELIVERY",
            "province": "610000",
            "city": "610600",
            "district": "610627",
            "street": "",
            "recipient": "王芳",
            "phone": "12345",
            "place": "1",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="phone-err"' in html and "11 位手机号" in html
    assert 'id="street-err"' in html
    assert '<option value="610627" selected>甘泉县</option>' in html
    assert backend_stack.sql(
        "SELECT count(*) FROM orders_order WHERE email = %s", ["views-test@example.com"]
    ) == [(0,)]


def test_guest_checkout_with_pickup_and_demo_payment(shop: Client, backend_stack: Stack) -> None:
    pk, _name, variant = _honey(backend_stack)
    token = _csrf(shop, f"/products/{pk}/")
    shop.post("/cart/add/", {"variant": variant, "quantity": "1", "csrfmiddlewaretoken": token})
    placed = shop.post(
        "/checkout/",
        {
            "csrfmiddlewaretoken": token,
            "email": "views-guest@example.com",
            "delivery": "PICKUP_BASE",
            "place": "1",
        },
    )
    assert placed.status_code == 302, placed.content.decode()[:2000]
    number = placed["Location"].rstrip("/").rsplit("/", 1)[-1]
    pay = shop.get(placed["Location"])
    assert "演示支付（不会真实扣款）" in pay.content.decode()
    assert "js.stripe.com" not in pay.content.decode()  # no key configured: no Stripe.js
    assert backend_stack.sql(
        "SELECT payment_status FROM orders_order WHERE number = %s", [number]
    ) == [("not_charged",)]

    paid = shop.post(f"/checkout/pay/{number}/demo/", {"csrfmiddlewaretoken": token})
    assert paid["Location"] == f"/orders/{number}/confirmation/"
    confirmation = shop.get(paid["Location"]).content.decode()
    assert "付款成功" in confirmation and "已付款" in confirmation
    village = backend_stack.sql(
        "SELECT l.village_name FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id "
        "WHERE o.number = %s",
        [number],
    )[0][0]
    assert village in confirmation
    assert backend_stack.sql(
        "SELECT payment_status FROM orders_order WHERE number = %s", [number]
    ) == [("fully_charged",)]
    # someone else's session cannot see the order
    assert Client().get(f"/orders/{number}/confirmation/").status_code == 404


def test_sign_in_keeps_the_token_on_the_server(shop: Client, backend_stack: Stack) -> None:
    token = _csrf(shop, "/account/signin/")
    wrong = shop.post(
        "/account/signin/",
        {"email": "consumer@example.com", "password": "nope", "csrfmiddlewaretoken": token},
    )
    assert wrong.status_code == 400 and "邮箱或密码不正确" in wrong.content.decode()
    ok = shop.post(
        "/account/signin/",
        {
            "email": "consumer@example.com",
            "password": "alliance-demo",
            "csrfmiddlewaretoken": token,
        },
    )
    assert ok.status_code == 302
    for cookie in shop.cookies.values():
        assert not cookie.value.startswith("eyJ")  # no JWT in any cookie
    # buy as the signed-in consumer: the order is theirs
    pk, _name, variant = _honey(backend_stack)
    token = _csrf(shop, f"/products/{pk}/")
    shop.post("/cart/add/", {"variant": variant, "quantity": "1", "csrfmiddlewaretoken": token})
    placed = shop.post(
        "/checkout/",
        {
            "csrfmiddlewaretoken": token,
            "email": "consumer@example.com",
            "delivery": "PICKUP_BASE",
            "place": "1",
        },
    )
    assert placed.status_code == 302
    number = placed["Location"].rstrip("/").rsplit("/", 1)[-1]
    shop.post(f"/checkout/pay/{number}/demo/", {"csrfmiddlewaretoken": token})
    assert backend_stack.sql(
        "SELECT u.email FROM orders_order o JOIN accounts_user u ON u.id = o.user_id "
        "WHERE o.number = %s",
        [number],
    ) == [("consumer@example.com",)]

    account = shop.get("/account/")
    assert account.status_code == 200
    html = account.content.decode()
    numbers = re.findall(r'href="/account/orders/([^/]+)/"', html)
    assert number in numbers
    detail = shop.get(f"/account/orders/{numbers[0]}/").content.decode()
    villages = backend_stack.sql(
        "SELECT DISTINCT l.village_name FROM orders_orderline l "
        "JOIN orders_order o ON o.id = l.order_id WHERE o.number = %s",
        [numbers[0]],
    )
    assert villages and all(v in detail for (v,) in villages)


def test_english_switch_through_set_language(shop: Client) -> None:
    token = _csrf(shop, "/")
    switched = shop.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert switched.status_code == 302
    html = shop.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Seasonal picks" in html and ">Honey</a>" in html
    product = shop.get("/search/", {"q": "蜂蜜"}).content.decode()
    assert "Filter and sort" in product and "蜂蜜" in product


def test_backend_down_gives_a_friendly_503(storefront: dict[str, Any]) -> None:
    with override_settings(BACKEND_URL=f"http://127.0.0.1:{free_port()}", DEBUG=False):
        cache.clear()
        response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "商城暂时无法连接" in html
    assert "Traceback" not in html


def test_with_a_publishable_key_the_backend_decides_the_gateway(
    shop: Client, backend_stack: Stack
) -> None:
    """A Stripe key on the storefront but none on the backend: orderPaymentCreate(STRIPE)
    is refused and the buyer is told online payment is not set up; no demo button, no
    Stripe.js (it is loaded only with a client secret from the backend)."""
    pk, _name, variant = _honey(backend_stack)
    token = _csrf(shop, f"/products/{pk}/")
    shop.post("/cart/add/", {"variant": variant, "quantity": "1", "csrfmiddlewaretoken": token})
    placed = shop.post(
        "/checkout/",
        {
            "csrfmiddlewaretoken": token,
            "email": "views-stripe@example.com",
            "delivery": "PICKUP_BASE",
            "place": "1",
        },
    )
    assert placed.status_code == 302
    with override_settings(STRIPE_PUBLISHABLE_KEY="pk_test_storefront_only"):
        html = shop.get(placed["Location"]).content.decode()
    assert "在线支付尚未开通" in html
    assert "js.stripe.com" not in html
    assert "演示支付：确认付款" not in html


def test_an_expired_access_token_is_refreshed_and_a_refused_one_signs_out(
    storefront: dict[str, Any], backend_stack: Stack
) -> None:
    from importlib import import_module

    from django.conf import settings
    from django.test import RequestFactory

    from api.client import BackendClient
    from shop import session

    client = BackendClient(backend_stack.backend_url)
    signed = client.run(
        "token_create", {"email": "consumer@example.com", "password": "alliance-demo"}
    )["tokenCreate"]
    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    session.sign_in(
        request, token=signed["token"], refresh_token=signed["refreshToken"], email="c@x"
    )
    request.session[session.AUTH] = dict(request.session[session.AUTH], exp=0)  # "expired"

    fresh = session.access_token(request, client)
    assert fresh and fresh != signed["token"]
    assert request.session[session.AUTH]["exp"] > 0
    me = client.execute("{ me { email } }", token=fresh)["me"]
    assert me == {"email": "consumer@example.com"}

    request.session[session.AUTH] = dict(
        request.session[session.AUTH], exp=0, refresh="not-a-refresh-token"
    )
    request.session[session.CHECKOUT] = "00000000-0000-0000-0000-000000000000"
    assert session.access_token(request, client) is None
    assert session.AUTH not in request.session
    assert session.CHECKOUT not in request.session  # the user's checkout is not theirs now
