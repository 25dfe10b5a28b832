import jwt
import pytest
from django.conf import settings as django_settings

from alliance.accounts.jwt import create_access_token, create_refresh_token
from tests.backend.accounts.helpers import error_codes, me_with_token
from tests.backend.factories.accounts import consumer

pytestmark = pytest.mark.django_db

REFRESH = """
mutation($refreshToken: String!) {
  tokenRefresh(refreshToken: $refreshToken) { token errors { field code message } }
}
"""


def refresh(gql, token):
    gql.token = None
    return gql.data(REFRESH, {"refreshToken": token})["tokenRefresh"]


def test_refresh_token_gives_a_working_access_token(gql):
    user = consumer()

    payload = refresh(gql, create_refresh_token(user))

    assert payload["errors"] == []
    claims = jwt.decode(payload["token"], django_settings.SECRET_KEY, algorithms=["HS256"])
    assert claims["type"] == "access"
    assert me_with_token(gql, payload["token"])["email"] == user.email


def test_access_token_is_refused_as_a_refresh_token(gql):
    payload = refresh(gql, create_access_token(consumer()))

    assert error_codes(payload) == ["INVALID_TOKEN"]
    assert payload["errors"][0]["field"] == "refreshToken"
    assert payload["token"] is None


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_malformed_token_is_refused(gql, token):
    payload = refresh(gql, token)

    assert error_codes(payload) == ["INVALID_TOKEN"]
    assert payload["token"] is None


def test_token_signed_with_another_key_is_refused(gql):
    user = consumer()
    claims = jwt.decode(
        create_refresh_token(user), django_settings.SECRET_KEY, algorithms=["HS256"]
    )
    forged = jwt.encode(claims, "another-key-of-sufficient-length-0123456789", "HS256")

    assert error_codes(refresh(gql, forged)) == ["INVALID_TOKEN"]


def test_expired_refresh_token_is_refused(gql, settings):
    user = consumer()
    settings.JWT_REFRESH_TTL_SECONDS = -60
    expired = create_refresh_token(user)

    payload = refresh(gql, expired)

    assert error_codes(payload) == ["INVALID_TOKEN"]
    assert "expired" in payload["errors"][0]["message"]


def test_password_change_revokes_refresh_tokens(gql):
    user = consumer()
    token = create_refresh_token(user)
    user.set_password("another-strong-password-77")
    user.save()

    assert error_codes(refresh(gql, token)) == ["INVALID_TOKEN"]


def test_deactivated_user_cannot_refresh(gql):
    user = consumer()
    token = create_refresh_token(user)
    user.is_active = False
    user.save()

    assert error_codes(refresh(gql, token)) == ["INVALID_TOKEN"]
