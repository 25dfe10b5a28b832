"""The storefront's only HTTP code: GraphQL requests to the backend.

Every failure becomes a BackendError subclass, so a view can show a friendly message:
BackendUnavailable when the backend cannot be reached or answers 5xx, BackendResponseError
when it answers but not with the data asked for (GraphQL errors, malformed JSON).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
FRAGMENTS_DIR = QUERIES_DIR / "fragments"
FRAGMENT_DEFINITION = re.compile(r"^fragment\s+(\w+)\s+on\b", re.M)
FRAGMENT_SPREAD = re.compile(r"\.\.\.\s*(\w+)")


class BackendError(Exception):
    """The backend did not give us what we asked for."""


class BackendUnavailable(BackendError):
    """No answer: connection refused, timeout, or a 5xx status."""


class BackendResponseError(BackendError):
    """An answer we cannot use: GraphQL errors, a 4xx status, or malformed JSON."""


@cache
def fragments() -> dict[str, str]:
    """Shared fragments (queries/fragments/*.graphql) by fragment name."""
    found = {}
    for path in sorted(FRAGMENTS_DIR.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        for name in FRAGMENT_DEFINITION.findall(text):
            found[name] = text
    return found


@cache
def load_query(name: str) -> str:
    """The text of storefront/api/queries/<name>.graphql (read once per process), followed
    by the shared fragments it spreads but does not define."""
    text = (QUERIES_DIR / f"{name}.graphql").read_text(encoding="utf-8")
    wanted = set(FRAGMENT_SPREAD.findall(text)) - set(FRAGMENT_DEFINITION.findall(text))
    shared = {fragments()[n] for n in wanted if n in fragments()}
    return text + "".join("\n" + t for t in sorted(shared))


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
        self._http: httpx.Client | None = None

    def _client(self) -> httpx.Client:
        # One connection pool per BackendClient (keep-alive saves a TCP handshake per call).
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout, transport=self.transport)
        return self._http

    def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
    ) -> dict[str, Any]:
        """POST one GraphQL operation; return its `data` or raise a BackendError. `token`
        is the signed-in user's access token (sent as a bearer token, never to a browser)."""
        try:
            response = self._client().post(
                self.endpoint,
                json={"query": query, "variables": variables or {}},
                headers=self.headers(token),
            )
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(f"{self.endpoint} timed out") from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{self.endpoint} unreachable: {exc}") from exc
        return self.data_of(response)

    @staticmethod
    def headers(token: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def data_of(self, response: httpx.Response) -> dict[str, Any]:
        """The `data` of a GraphQL answer, or the BackendError that says what went wrong."""
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

    def run(
        self, name: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Execute the operation in queries/<name>.graphql."""
        return self.execute(load_query(name), variables, token=token)


def cache_key(name: str, variables: dict[str, Any] | None, language: str) -> str:
    """Cache key of a catalog answer: the operation, the language and every variable."""
    digest = hashlib.sha256(
        json.dumps(variables or {}, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()[:32]
    return f"catalog:{name}:{language}:{digest}"


def mutation_errors(payload: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The `errors { field code message }` of a mutation payload ([] when it succeeded)."""
    if payload is None:
        raise BackendResponseError("mutation answered null")
    errors = payload.get("errors")
    if not isinstance(errors, list):
        raise BackendResponseError("mutation payload without errors list")
    return errors
