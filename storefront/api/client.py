"""The storefront's only HTTP code: GraphQL requests to the backend.

Every failure becomes a BackendError subclass, so a view can show a friendly message:
BackendUnavailable when the backend cannot be reached or answers 5xx, BackendResponseError
when it answers but not with the data asked for (GraphQL errors, malformed JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx

QUERIES_DIR = Path(__file__).resolve().parent / "queries"


class BackendError(Exception):
    """The backend did not give us what we asked for."""


class BackendUnavailable(BackendError):
    """No answer: connection refused, timeout, or a 5xx status."""


class BackendResponseError(BackendError):
    """An answer we cannot use: GraphQL errors, a 4xx status, or malformed JSON."""


def load_query(name: str) -> str:
    return (QUERIES_DIR / f"{name}.graphql").read_text(encoding="utf-8")


class BackendClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = base_url.rstrip("/") + "/graphql/"
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 2.0))
        self.transport = transport

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """POST one GraphQL operation; return its `data` or raise a BackendError."""
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                response = http.post(
                    self.endpoint,
                    json={"query": query, "variables": variables or {}},
                    headers={"Accept": "application/json"},
                )
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(f"{self.endpoint} timed out") from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{self.endpoint} unreachable: {exc}") from exc
        if response.status_code >= 500:
            raise BackendUnavailable(f"{self.endpoint} answered HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise BackendResponseError(
                f"{self.endpoint} answered HTTP {response.status_code} without JSON"
            ) from exc
        if not isinstance(payload, dict):
            raise BackendResponseError(f"{self.endpoint} answered an unexpected JSON shape")
        if payload.get("errors"):
            messages = "; ".join(str(e.get("message", e)) for e in payload["errors"])
            raise BackendResponseError(f"GraphQL errors: {messages}")
        if response.status_code != 200 or not isinstance(payload.get("data"), dict):
            raise BackendResponseError(f"{self.endpoint} answered HTTP {response.status_code}")
        return payload["data"]


@dataclass(frozen=True)
class ProductCard:
    name: str
    village: str
    price: Decimal | None  # lowest online price, CNY


def fetch_home_products(client: BackendClient, *, first: int = 12) -> list[ProductCard]:
    data = client.execute(load_query("home_products"), {"first": first})
    try:
        edges = data["products"]["edges"]
        return [_card(edge["node"]) for edge in edges]
    except (KeyError, TypeError, InvalidOperation) as exc:
        raise BackendResponseError(f"unexpected products payload: {exc!r}") from exc


def _card(node: dict[str, Any]) -> ProductCard:
    price = node.get("minPrice")
    return ProductCard(
        name=node["name"],
        village=(node.get("village") or {}).get("name", ""),
        price=Decimal(str(price["amount"])) if price else None,
    )
