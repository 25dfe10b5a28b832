"""How console views reach the backend: as the signed-in console user, never cached.

The API tokens live in the server-side session (request.session["console_auth"]); the browser
only holds the session id. Queries are storefront/console/queries/<name>.graphql. Uploads
(productImageCreate) go as GraphQL multipart requests through the same connection pool.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from functools import cache
from pathlib import Path
from typing import IO, Any

import httpx
from django.conf import settings
from django.http import HttpRequest

from api.client import (
    BackendClient,
    BackendResponseError,
    BackendUnavailable,
    mutation_errors,
)

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
AUTH = "console_auth"
REFRESH_MARGIN_SECONDS = 30
UPLOAD_TIMEOUT_SECONDS = 60.0

_local = threading.local()


@cache
def load_query(name: str) -> str:
    return (QUERIES_DIR / f"{name}.graphql").read_text(encoding="utf-8")


class ConsoleClient(BackendClient):
    """BackendClient plus multipart uploads (the GraphQL multipart request spec)."""

    def upload(
        self,
        query: str,
        variables: dict[str, Any],
        *,
        file_variable: str,
        file: IO[bytes],
        file_name: str,
        content_type: str,
        token: str | None,
    ) -> dict[str, Any]:
        operations = {"query": query, "variables": {**variables, file_variable: None}}
        try:
            response = self._client().post(
                self.endpoint,
                data={
                    "operations": json.dumps(operations),
                    "map": json.dumps({"0": [f"variables.{file_variable}"]}),
                },
                files={"0": (file_name, file, content_type)},
                headers=self.headers(token),
                timeout=UPLOAD_TIMEOUT_SECONDS,
            )
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{self.endpoint} upload failed: {exc}") from exc
        return self.data_of(response)

    def download(self, path: str, *, token: str | None) -> httpx.Response:
        """GET a backend URL path (e.g. /exports/<id>/download/) with the bearer token; the
        response is streamed (the caller closes it)."""
        url = self.endpoint[: -len("/graphql/")] + path
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            request = self._client().build_request("GET", url, headers=headers)
            return self._client().send(request, stream=True)
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{url} unreachable: {exc}") from exc


def client() -> ConsoleClient:
    """One client (one keep-alive pool) per thread and backend URL."""
    found: ConsoleClient | None = getattr(_local, "client", None)
    if found is None or getattr(_local, "url", None) != settings.BACKEND_URL:
        found = ConsoleClient(settings.BACKEND_URL, timeout=settings.BACKEND_TIMEOUT_SECONDS)
        _local.client, _local.url = found, settings.BACKEND_URL
    return found


# --- the session -------------------------------------------------------------------------


def _token_expiry(token: str) -> int:
    """The `exp` claim of a JWT (read, not verified: the backend verifies it)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return int(json.loads(base64.urlsafe_b64decode(payload))["exp"])
    except (IndexError, KeyError, ValueError, TypeError):
        return 0


def sign_in(request: HttpRequest, *, email: str, password: str) -> list[dict[str, Any]]:
    """tokenCreate; on success the tokens go into a fresh session. Returns the errors."""
    data = client().execute(load_query("token_create"), {"email": email, "password": password})
    payload = data.get("tokenCreate")
    errors = mutation_errors(payload)
    if errors:
        return errors
    me = client().execute(load_query("me"), token=payload["token"])["me"]
    request.session.cycle_key()
    request.session[AUTH] = {
        "token": payload["token"],
        "refresh": payload["refreshToken"],
        "exp": _token_expiry(payload["token"]),
        "email": me["email"],
        "role": me["role"],
        "village": me.get("village"),
        "producers": [
            {"id": p["id"], "name": p["name"], "village": p["village"]}
            for p in me.get("producers") or []
        ],
    }
    return []


def sign_out(request: HttpRequest) -> None:
    request.session.pop(AUTH, None)
    request.session.cycle_key()


def signed_in(request: HttpRequest) -> dict[str, Any] | None:
    auth: dict[str, Any] | None = request.session.get(AUTH)
    return auth


def access_token(request: HttpRequest) -> str | None:
    """The access token, refreshed when about to expire; None when signed out."""
    auth = request.session.get(AUTH)
    if not auth:
        return None
    if auth["exp"] - REFRESH_MARGIN_SECONDS > time.time():
        return str(auth["token"])
    data = client().execute(load_query("token_refresh"), {"refreshToken": auth["refresh"]})
    payload = data.get("tokenRefresh")
    try:
        errors = mutation_errors(payload)
    except BackendResponseError:
        errors = [{"code": "INVALID"}]
    if errors or not payload.get("token"):
        request.session.pop(AUTH, None)
        return None
    auth = dict(auth, token=payload["token"], exp=_token_expiry(payload["token"]))
    request.session[AUTH] = auth
    return str(auth["token"])


def run(request: HttpRequest, name: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run console/queries/<name>.graphql as the signed-in user."""
    return client().execute(load_query(name), variables, token=access_token(request))


def mutate(
    request: HttpRequest, name: str, variables: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run a mutation; (its payload, its errors). The payload's root field is unwrapped."""
    data = run(request, name, variables)
    payload = next(iter(data.values()))
    return payload, mutation_errors(payload)


def upload_product_image(
    request: HttpRequest, *, product_id: str, file: IO[bytes], file_name: str, content_type: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = client().upload(
        load_query("product_image_create"),
        {"product": product_id},
        file_variable="image",
        file=file,
        file_name=file_name,
        content_type=content_type or "application/octet-stream",
        token=access_token(request),
    )
    payload = data["productImageCreate"]
    return payload, mutation_errors(payload)
