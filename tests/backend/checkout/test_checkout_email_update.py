import pytest

from alliance.checkout.models import Checkout
from tests.backend.checkout.helpers import ERRORS, codes, snapshot
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

EMAIL = f"""
mutation($token: UUID!, $email: String!) {{
  checkoutEmailUpdate(token: $token, email: $email) {{ checkout {{ email }} {ERRORS} }}
}}
"""


def set_email(gql, checkout, email):
    variables = {"token": str(checkout.token), "email": email}
    return gql.data(EMAIL, variables)["checkoutEmailUpdate"]


def test_sets_the_email(gql):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)], email="")
    before = checkout.last_change

    payload = set_email(gql, checkout, "  li.si@example.cn ")

    assert payload["errors"] == []
    assert payload["checkout"]["email"] == "li.si@example.cn"
    saved = Checkout.objects.get(pk=checkout.pk)
    assert saved.email == "li.si@example.cn"
    assert saved.last_change > before


@pytest.mark.parametrize("email", ["", "   ", "no-at-sign", "a@b", "x" * 250 + "@example.org"])
def test_invalid_email_is_refused_and_nothing_changes(gql, email):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)])
    before = snapshot(checkout)

    payload = set_email(gql, checkout, email)

    assert codes(payload) == ["INVALID_EMAIL"]
    assert payload["errors"][0]["field"] == "email"
    assert snapshot(checkout) == before


def test_another_users_checkout_is_not_found(gql):
    checkout = checkout_with([(variant_in_stock(at_base=1), 1)], user=consumer())
    before = snapshot(checkout)

    assert codes(set_email(gql.as_user(consumer()), checkout, "x@example.org")) == ["NOT_FOUND"]
    assert snapshot(checkout) == before


def test_completed_checkout_refuses_changes(gql, complete):
    checkout = complete(checkout_with([(variant_in_stock(at_base=1), 1)]))
    before = snapshot(checkout)

    assert codes(set_email(gql, checkout, "x@example.org")) == ["CHECKOUT_COMPLETED"]
    assert snapshot(checkout) == before
