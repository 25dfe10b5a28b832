from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from alliance.accounts.jwt import create_access_token
from tests.stripe_server import StripeServer


class GraphQLClient:
    """POSTs to /graphql/ through Django's test client, optionally as a user (JWT)."""

    def __init__(self, client: Client):
        self.client = client
        self.token: str | None = None

    def as_user(self, user: Any) -> GraphQLClient:
        self.token = create_access_token(user) if user is not None else None
        return self

    def execute(
        self, query: str, variables: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **headers,
            **extra,
        )
        assert response.status_code in (200, 400), response.content[:500]
        return response.json()

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Execute and assert the response has no top-level errors."""
        result = self.execute(query, variables)
        assert "errors" not in result, result["errors"]
        return result["data"]


@pytest.fixture
def gql(client: Client) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
def stripe_server(settings: Any) -> Iterator[StripeServer]:
    """A local Stripe API (tests/stripe_server) with settings.STRIPE_* pointing at it."""
    server = StripeServer().start()
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_SECRET_KEY = server.api_key
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_local_stripe_server"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_local_stripe_server"
    yield server
    server.stop()


@pytest.fixture(scope="session")
def e2e_stack() -> Iterator[Any]:
    """The served stack (tests/e2e/stack.py), shared by every test of the session: tests that
    change data (orders, stock) should use their own products or users where they can."""
    from tests.e2e._browser import artifacts_root
    from tests.e2e.stack import Stack

    stack = Stack(artifacts_root())
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
