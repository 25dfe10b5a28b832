"""What the shop keeps in the (server-side) session, and nothing else does.

- auth: the buyer's access and refresh tokens, the access token's expiry, e-mail. They never
  reach the browser: the session cookie only holds the session id.
- checkout: the token of the open checkout and its item count (shown in the header without
  asking the backend on every page).
- orders: order number -> {checkout token, payment id} for orders placed in this session,
  so that the confirmation page can follow an order placed without signing in.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from django.http import HttpRequest

from api.client import BackendClient, BackendResponseError, mutation_errors

AUTH = "shop_auth"
CHECKOUT = "shop_checkout"
CART_COUNT = "shop_cart_count"
ORDERS = "shop_orders"
REFRESH_MARGIN_SECONDS = 30


def _token_expiry(token: str) -> int:
    """The `exp` claim of a JWT (read, not verified: the backend verifies it)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return int(json.loads(base64.urlsafe_b64decode(payload))["exp"])
    except (IndexError, KeyError, ValueError, TypeError):
        return 0


def sign_in(request: HttpRequest, *, token: str, refresh_token: str, email: str) -> None:
    # A new session id on sign-in (against session fixation); the cart comes along.
    request.session.cycle_key()
    request.session[AUTH] = {
        "token": token,
        "refresh": refresh_token,
        "exp": _token_expiry(token),
        "email": email,
    }


def sign_out(request: HttpRequest) -> None:
    # The signed-in buyer's checkout belongs to that user: it cannot follow them out.
    request.session.flush()


def signed_in_email(request: HttpRequest) -> str | None:
    auth = request.session.get(AUTH)
    return auth["email"] if auth else None


def access_token(request: HttpRequest, client: BackendClient) -> str | None:
    """The access token, refreshed first when it is about to expire; None when signed out
    (or when the refresh token was refused: then the buyer is signed out)."""
    auth = request.session.get(AUTH)
    if not auth:
        return None
    if auth["exp"] - REFRESH_MARGIN_SECONDS > time.time():
        return auth["token"]
    data = client.run("token_refresh", {"refreshToken": auth["refresh"]})
    payload = data.get("tokenRefresh")
    try:
        errors = mutation_errors(payload)
    except BackendResponseError:
        errors = [{"code": "INVALID"}]
    if errors or not payload.get("token"):
        request.session.pop(AUTH, None)
        request.session.pop(CHECKOUT, None)
        request.session.pop(CART_COUNT, None)
        return None
    auth = dict(auth, token=payload["token"], exp=_token_expiry(payload["token"]))
    request.session[AUTH] = auth
    return auth["token"]


def checkout_token(request: HttpRequest) -> str | None:
    return request.session.get(CHECKOUT)


def set_checkout(request: HttpRequest, token: str | None, count: int = 0) -> None:
    if token:
        request.session[CHECKOUT] = token
        request.session[CART_COUNT] = count
    else:
        request.session.pop(CHECKOUT, None)
        request.session.pop(CART_COUNT, None)


def cart_count(request: HttpRequest) -> int:
    return int(request.session.get(CART_COUNT) or 0)


def remember_order(request: HttpRequest, number: str, **values: Any) -> None:
    orders = dict(request.session.get(ORDERS) or {})
    entry = dict(orders.get(number) or {})
    entry.update(values)
    orders[number] = entry
    # Keep the session small: the 20 most recent orders.
    request.session[ORDERS] = dict(list(orders.items())[-20:])


def order_entry(request: HttpRequest, number: str) -> dict[str, Any] | None:
    return (request.session.get(ORDERS) or {}).get(number)
