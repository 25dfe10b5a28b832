import pytest

from alliance.checkout.models import CheckoutLine
from tests.backend.checkout.helpers import ERRORS, codes, line_gid, snapshot
from tests.backend.factories.accounts import consumer
from tests.backend.factories.checkout import checkout_with, variant_in_stock

pytestmark = pytest.mark.django_db

DELETE = f"""
mutation($token: UUID!, $lineId: ID!) {{
  checkoutLineDelete(token: $token, lineId: $lineId) {{
    checkout {{ lines {{ id }} subtotal {{ amount }} }} {ERRORS}
  }}
}}
"""


def delete(gql, checkout, line_id):
    variables = {"token": str(checkout.token), "lineId": line_id}
    return gql.data(DELETE, variables)["checkoutLineDelete"]


def test_deletes_the_line(gql):
    honey = variant_in_stock(at_base=3, online="58.00")
    jujube = variant_in_stock(at_base=3, online="30.00")
    checkout = checkout_with([(honey, 1), (jujube, 1)])
    line = CheckoutLine.objects.get(checkout=checkout, variant=honey)

    payload = delete(gql, checkout, line_gid(line))

    assert payload["errors"] == []
    assert len(payload["checkout"]["lines"]) == 1
    assert payload["checkout"]["subtotal"]["amount"] == "30.00"
    assert not CheckoutLine.objects.filter(pk=line.pk).exists()


def test_a_line_of_another_checkout_is_not_found(gql):
    honey = variant_in_stock(at_base=3)
    mine = checkout_with([(honey, 1)])
    theirs = checkout_with([(honey, 1)])
    before = snapshot(theirs)

    payload = delete(gql, mine, line_gid(CheckoutLine.objects.get(checkout=theirs)))

    assert codes(payload) == ["NOT_FOUND"]
    assert payload["errors"][0]["field"] == "lineId"
    assert snapshot(theirs) == before


def test_another_users_checkout_is_not_found(gql):
    checkout = checkout_with([(variant_in_stock(at_base=3), 1)], user=consumer())
    line = CheckoutLine.objects.get(checkout=checkout)

    assert codes(delete(gql.as_user(consumer()), checkout, line_gid(line))) == ["NOT_FOUND"]
    assert CheckoutLine.objects.filter(pk=line.pk).exists()


def test_wrong_id_type_is_refused(gql):
    checkout = checkout_with([(variant_in_stock(at_base=3), 1)])

    assert codes(delete(gql, checkout, "UHJvZHVjdDox")) == ["INVALID_ID"]  # Product:1


def test_completed_checkout_refuses_changes(gql, complete):
    checkout = complete(checkout_with([(variant_in_stock(at_base=3), 1)]))
    line = CheckoutLine.objects.get(checkout=checkout)

    assert codes(delete(gql, checkout, line_gid(line))) == ["CHECKOUT_COMPLETED"]
    assert CheckoutLine.objects.filter(pk=line.pk).exists()
