import pytest

from alliance.accounts.jwt import create_access_token, create_refresh_token
from tests.backend.accounts.helpers import error_codes, me_with_token
from tests.backend.factories.accounts import staff

pytestmark = pytest.mark.django_db

VERIFY = """
mutation($token: String!) {
  tokenVerify(token: $token) { isValid payload user { email role } errors { field code } }
}
"""


def verify(gql, token):
    gql.token = None
    return gql.data(VERIFY, {"token": token})["tokenVerify"]


def test_valid_access_token_shows_public_claims_and_user(gql):
    user = staff()

    payload = verify(gql, create_access_token(user))

    assert payload["errors"] == []
    assert payload["isValid"] is True
    assert payload["user"] == {"email": user.email, "role": "STAFF"}
    assert payload["payload"]["email"] == user.email
    assert payload["payload"]["role"] == "staff"
    assert payload["payload"]["type"] == "access"
    assert payload["payload"]["exp"] > payload["payload"]["iat"]
    # the password-hash fragment that revokes tokens is never shown
    assert set(payload["payload"]) == {"type", "email", "role", "iat", "exp"}


def test_expired_access_token_is_invalid_and_does_not_authenticate(gql, settings):
    user = staff()
    settings.JWT_ACCESS_TTL_SECONDS = -60
    expired = create_access_token(user)

    payload = verify(gql, expired)

    assert payload["isValid"] is False
    assert error_codes(payload) == ["INVALID_TOKEN"]
    assert payload["user"] is None and payload["payload"] is None
    assert me_with_token(gql, expired) is None


def test_refresh_token_is_not_a_valid_access_token(gql):
    payload = verify(gql, create_refresh_token(staff()))

    assert payload["isValid"] is False
    assert error_codes(payload) == ["INVALID_TOKEN"]


def test_tampered_token_is_invalid(gql):
    token = create_access_token(staff())
    head, body, signature = token.split(".")
    tampered = f"{head}.{body}.{signature[:-4]}AAAA"

    payload = verify(gql, tampered)

    assert payload["isValid"] is False
    assert error_codes(payload) == ["INVALID_TOKEN"]


def test_password_change_makes_the_token_invalid(gql):
    user = staff()
    token = create_access_token(user)
    user.set_password("changed-password-for-test-9")
    user.save()

    assert verify(gql, token)["isValid"] is False
