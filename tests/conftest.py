from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from alliance.accounts.jwt import create_access_token


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
