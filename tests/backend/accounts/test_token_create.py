import statistics
import time

import pytest
from django.contrib.auth.hashers import make_password

from alliance.accounts.models import User
from tests.backend.accounts.helpers import TOKEN_CREATE, error_codes, me_with_token
from tests.backend.factories.accounts import PASSWORD, UserFactory, consumer

pytestmark = pytest.mark.django_db


def sign_in(gql, email, password, **request_extra):
    result = gql.execute(TOKEN_CREATE, {"email": email, "password": password}, **request_extra)
    assert "errors" not in result, result["errors"]
    return result["data"]["tokenCreate"]


def test_right_password_gives_tokens_that_authenticate(gql):
    user = consumer()

    payload = sign_in(gql, user.email, PASSWORD)

    assert payload["errors"] == []
    assert payload["user"] == {"email": user.email, "role": "CONSUMER"}
    assert payload["token"] and payload["refreshToken"]
    assert payload["token"] != payload["refreshToken"]
    assert me_with_token(gql, payload["token"])["email"] == user.email
    user.refresh_from_db()
    assert user.last_login is not None


def test_email_is_matched_without_regard_to_case_or_spaces(gql):
    user = consumer()

    payload = sign_in(gql, f"  {user.email.upper()} ", PASSWORD)

    assert payload["errors"] == []
    assert payload["user"]["email"] == user.email


def test_refresh_token_does_not_authenticate_requests(gql):
    payload = sign_in(gql, consumer().email, PASSWORD)

    assert me_with_token(gql, payload["refreshToken"]) is None


def test_wrong_password_unknown_email_and_inactive_account_look_the_same(gql):
    user = consumer()
    inactive = UserFactory(is_active=False)

    wrong_password = sign_in(gql, user.email, "not-the-password")
    unknown_email = sign_in(gql, "nobody@example.org", PASSWORD)
    inactive_right_password = sign_in(gql, inactive.email, PASSWORD)

    assert wrong_password["errors"] == [
        {
            "field": None,
            "code": "INVALID_CREDENTIALS",
            "message": "The e-mail address or password is incorrect.",
        }
    ]
    assert unknown_email["errors"] == wrong_password["errors"]
    assert inactive_right_password["errors"] == wrong_password["errors"]
    for payload in (wrong_password, unknown_email, inactive_right_password):
        assert payload["token"] is None
        assert payload["refreshToken"] is None
        assert payload["user"] is None
    user.refresh_from_db()
    assert user.last_login is None


def test_unknown_email_costs_a_password_hash_like_a_wrong_password(gql, settings):
    # Real Argon2 cost parameters: without the dummy hash an unknown e-mail answers ~50x faster.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = User.objects.create_user("timing@example.org", PASSWORD)

    def duration(email):
        started = time.perf_counter()
        assert error_codes(sign_in(gql, email, "wrong-password")) == ["INVALID_CREDENTIALS"]
        return time.perf_counter() - started

    wrong_password = statistics.median(duration(user.email) for _ in range(3))
    unknown_email = statistics.median(duration(f"ghost{i}@example.org") for i in range(3))

    assert unknown_email > 0.5 * wrong_password, (unknown_email, wrong_password)


def test_ten_failures_lock_the_email_even_for_the_right_password(gql):
    user = consumer()
    for _ in range(10):
        assert error_codes(sign_in(gql, user.email, "guess")) == ["INVALID_CREDENTIALS"]

    payload = sign_in(gql, user.email, PASSWORD)

    assert error_codes(payload) == ["TOO_MANY_ATTEMPTS"]
    assert payload["token"] is None and payload["user"] is None
    # counted per normalised e-mail: another spelling does not get a fresh budget
    assert error_codes(sign_in(gql, user.email.upper(), PASSWORD)) == ["TOO_MANY_ATTEMPTS"]
    user.refresh_from_db()
    assert user.last_login is None
    # another account from the same address is not locked out
    other = consumer()
    assert sign_in(gql, other.email, PASSWORD)["errors"] == []


def test_aliases_in_one_request_count_one_by_one(gql, settings):
    # 6 root fields: within GRAPHQL_MAX_ROOT_FIELDS (10), which refuses 12 before they run.
    settings.TOKEN_CREATE_MAX_ATTEMPTS_PER_EMAIL = 4
    user = consumer()
    call = 'tokenCreate(email: "{email}", password: "guess-{i}") {{ token errors {{ code }} }}'
    fields = "\n".join(f"a{i}: " + call.format(email=user.email, i=i) for i in range(6))

    data = gql.data(f"mutation {{ {fields} }}")

    codes = [data[f"a{i}"]["errors"][0]["code"] for i in range(6)]
    assert codes == ["INVALID_CREDENTIALS"] * 4 + ["TOO_MANY_ATTEMPTS"] * 2
    assert all(data[f"a{i}"]["token"] is None for i in range(6))
    assert error_codes(sign_in(gql, user.email, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]


def test_per_address_limit_spans_emails_and_spares_other_addresses(gql, settings):
    settings.TOKEN_CREATE_MAX_ATTEMPTS_PER_IP = 3
    user = consumer()
    for i in range(3):
        payload = sign_in(gql, f"spray{i}@example.org", "guess", REMOTE_ADDR="10.1.2.3")
        assert error_codes(payload) == ["INVALID_CREDENTIALS"]

    refused = sign_in(gql, user.email, PASSWORD, REMOTE_ADDR="10.1.2.3")
    accepted = sign_in(gql, user.email, PASSWORD, REMOTE_ADDR="10.9.9.9")

    assert error_codes(refused) == ["TOO_MANY_ATTEMPTS"]
    assert accepted["errors"] == []
    assert accepted["token"]


def test_the_lock_lifts_when_the_window_ends(gql, settings):
    settings.TOKEN_CREATE_MAX_ATTEMPTS_PER_EMAIL = 2
    settings.TOKEN_CREATE_WINDOW_SECONDS = 1
    user = consumer()
    for _ in range(2):
        sign_in(gql, user.email, "guess")
    assert error_codes(sign_in(gql, user.email, PASSWORD)) == ["TOO_MANY_ATTEMPTS"]

    time.sleep(1.2)

    assert sign_in(gql, user.email, PASSWORD)["errors"] == []


def test_a_password_change_invalidates_tokens_issued_before(gql):
    user = consumer()
    payload = sign_in(gql, user.email, PASSWORD)
    assert me_with_token(gql, payload["token"])["email"] == user.email

    user.set_password("a-brand-new-password-2025")
    user.save()

    assert me_with_token(gql, payload["token"]) is None
    fresh = sign_in(gql, user.email, "a-brand-new-password-2025")
    assert me_with_token(gql, fresh["token"])["email"] == user.email
    assert error_codes(sign_in(gql, user.email, PASSWORD)) == ["INVALID_CREDENTIALS"]


def test_an_unusable_password_never_signs_in(gql):
    user = UserFactory(password=make_password(None))

    assert error_codes(sign_in(gql, user.email, "")) == ["INVALID_CREDENTIALS"]
