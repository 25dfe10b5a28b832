import pytest

from tests.backend.accounts.helpers import ME, me_with_token
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.villages import ProducerFactory, VillageFactory

pytestmark = pytest.mark.django_db


def test_anonymous_me_is_null(gql):
    assert gql.data(ME)["me"] is None


def test_invalid_bearer_token_is_anonymous(gql):
    assert me_with_token(gql, "not-a-token") is None


def test_consumer_me(gql):
    user = consumer()

    me = gql.as_user(user).data(ME)["me"]

    assert me == {
        "email": user.email,
        "role": "CONSUMER",
        "fullName": "",
        "village": None,
        "producers": [],
    }


def test_operator_me_lists_their_producers_only(gql):
    village = VillageFactory(name="东沟村")
    first = ProducerFactory(village=village, name="东沟蜂蜜合作社")
    second = ProducerFactory(village=village, name="东沟小米合作社")
    ProducerFactory(village=village, name="别人的合作社")

    me = gql.as_user(operator_of(first, second)).data(ME)["me"]

    assert me["role"] == "OPERATOR"
    assert me["village"] is None
    assert me["producers"] == [{"name": "东沟蜂蜜合作社"}, {"name": "东沟小米合作社"}]


def test_secretary_me_shows_their_village(gql):
    village = VillageFactory(name="下寺湾村")

    me = gql.as_user(secretary_of(village)).data(ME)["me"]

    assert me["role"] == "SECRETARY"
    assert me["village"] == {"name": "下寺湾村"}
    assert me["producers"] == []


def test_staff_me(gql):
    me = gql.as_user(staff()).data(ME)["me"]

    assert me["role"] == "STAFF"
    assert me["village"] is None
