import pytest

from alliance.accounts.models import Role, User
from tests.backend.accounts.helpers import TOKEN_CREATE, error_codes
from tests.backend.factories.accounts import UserFactory

pytestmark = pytest.mark.django_db

REGISTER = """
mutation($input: AccountRegisterInput!) {
  accountRegister(input: $input) {
    user { email fullName role village { name } producers { name } }
    errors { field code message }
  }
}
"""
GOOD_PASSWORD = "蜂蜜-honey-2024-river"


def register(gql, **fields):
    data = {"email": "li.na@example.org", "password": GOOD_PASSWORD, "fullName": "李娜"}
    data.update(fields)
    return gql.data(REGISTER, {"input": data})["accountRegister"]


def test_registers_a_consumer_with_an_argon2_hash(gql):
    payload = register(gql)

    assert payload["errors"] == []
    assert payload["user"] == {
        "email": "li.na@example.org",
        "fullName": "李娜",
        "role": "CONSUMER",
        "village": None,
        "producers": [],
    }
    user = User.objects.get()
    assert user.role == Role.CONSUMER
    assert not user.is_staff and not user.is_superuser
    assert user.password.startswith("argon2")
    assert GOOD_PASSWORD not in user.password
    assert user.check_password(GOOD_PASSWORD)


def test_the_new_account_can_sign_in(gql):
    register(gql)

    payload = gql.data(TOKEN_CREATE, {"email": "li.na@example.org", "password": GOOD_PASSWORD})

    assert payload["tokenCreate"]["errors"] == []
    assert payload["tokenCreate"]["user"] == {"email": "li.na@example.org", "role": "CONSUMER"}


def test_email_is_stored_trimmed_and_lower_case(gql):
    payload = register(gql, email="  Li.Na@Example.ORG ")

    assert payload["errors"] == []
    assert payload["user"]["email"] == "li.na@example.org"
    assert User.objects.get().email == "li.na@example.org"


def test_duplicate_email_in_any_case_is_refused_and_nothing_changes(gql):
    existing = UserFactory(email="li.na@example.org", full_name="原来的")
    old_hash = existing.password

    payload = register(gql, email="LI.NA@example.org", fullName="别人")

    assert error_codes(payload) == ["EMAIL_TAKEN"]
    assert payload["errors"][0]["field"] == "email"
    assert payload["user"] is None
    # says nothing about the existing account
    assert "原来的" not in payload["errors"][0]["message"]
    assert User.objects.count() == 1
    existing.refresh_from_db()
    assert existing.password == old_hash
    assert existing.full_name == "原来的"


@pytest.mark.parametrize(
    "email", ["", "not-an-email", "li.na@", "@example.org", "a b@example.org", "x" * 250 + "@e.cn"]
)
def test_invalid_email_is_refused_and_nothing_is_created(gql, email):
    payload = register(gql, email=email)

    assert error_codes(payload) == ["INVALID_EMAIL"]
    assert payload["errors"][0]["field"] == "email"
    assert payload["user"] is None
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("li.na@example.org", "Ab1-x", "PASSWORD_TOO_SHORT"),
        ("li.na@example.org", "password123", "PASSWORD_TOO_COMMON"),
        ("li.na@example.org", "20240917311", "PASSWORD_ENTIRELY_NUMERIC"),
        ("zhangwei.farmer@example.org", "zhangwei.farmer", "PASSWORD_TOO_SIMILAR"),
        ("li.na@example.org", "长" * 257, "PASSWORD_TOO_LONG"),
    ],
)
def test_weak_password_is_refused_with_a_reason_and_nothing_is_created(gql, email, password, code):
    payload = register(gql, email=email, password=password)

    assert code in error_codes(payload)
    assert all(e["field"] == "password" for e in payload["errors"])
    assert all(e["message"] for e in payload["errors"])
    assert payload["user"] is None
    assert User.objects.count() == 0


def test_every_problem_is_reported_at_once(gql):
    payload = register(gql, email="nope", password="123")

    codes = error_codes(payload)
    assert "INVALID_EMAIL" in codes
    assert "PASSWORD_TOO_SHORT" in codes
    assert User.objects.count() == 0


def test_too_long_full_name_is_refused(gql):
    payload = register(gql, fullName="名" * 129)

    assert error_codes(payload) == ["INVALID"]
    assert payload["errors"][0]["field"] == "fullName"
    assert User.objects.count() == 0


def test_role_in_the_input_is_refused_by_the_schema(gql):
    variables = {
        "input": {"email": "li.na@example.org", "password": GOOD_PASSWORD, "role": "STAFF"}
    }

    result = gql.execute(REGISTER, variables)

    assert result.get("data") is None
    assert any("role" in e["message"] for e in result["errors"])
    assert User.objects.count() == 0


def test_role_written_inline_in_the_query_is_refused_by_the_schema(gql):
    query = """
    mutation {
      accountRegister(input: {email: "li.na@example.org", password: "蜂蜜-honey-2024-river",
                              role: STAFF}) {
        user { role } errors { code }
      }
    }
    """

    result = gql.execute(query)

    assert result.get("data") is None
    assert result["errors"]
    assert User.objects.count() == 0


def test_a_signed_in_staff_member_still_registers_only_consumers(gql):
    gql.as_user(UserFactory(role=Role.STAFF))

    payload = register(gql, email="new.one@example.org")

    assert payload["user"]["role"] == "CONSUMER"
    assert User.objects.get(email="new.one@example.org").role == Role.CONSUMER
