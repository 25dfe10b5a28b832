from typing import Any

TOKEN_CREATE = """
mutation($email: String!, $password: String!) {
  tokenCreate(email: $email, password: $password) {
    token
    refreshToken
    user { email role }
    errors { field code message }
  }
}
"""

ME = "{ me { email role fullName village { name } producers { name } } }"


def error_codes(payload: dict[str, Any]) -> list[str]:
    return [e["code"] for e in payload["errors"]]


def me_with_token(gql: Any, token: str | None) -> Any:
    """`me` as seen by a request carrying `Authorization: Bearer <token>`."""
    gql.token = token
    return gql.data(ME)["me"]
