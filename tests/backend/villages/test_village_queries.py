import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.backend.catalog.helpers import gid
from tests.backend.factories.villages import ProducerFactory, TownFactory, VillageFactory

pytestmark = pytest.mark.django_db

VILLAGES = """
query($first: Int) {
  villages(first: $first) {
    edges { node { id code name kind town { name } producers { name kind village { name } } } }
    totalCount
  }
}
"""


def test_villages_with_producers_in_a_fixed_number_of_queries(gql):
    town = TownFactory(name="下寺湾镇")
    for i in range(30):
        village = VillageFactory(town=town, name=f"村{i:02d}")
        ProducerFactory(village=village)
        ProducerFactory(village=village, kind="enterprise")

    with CaptureQueriesContext(connection) as small:
        gql.data(VILLAGES, {"first": 5})
    with CaptureQueriesContext(connection) as large:
        data = gql.data(VILLAGES, {"first": 30})

    edges = data["villages"]["edges"]
    assert len(edges) == 30
    assert data["villages"]["totalCount"] == 30
    assert edges[0]["node"]["town"] == {"name": "下寺湾镇"}
    assert len(edges[0]["node"]["producers"]) == 2
    assert edges[0]["node"]["producers"][0]["village"]["name"] == edges[0]["node"]["name"]
    # villages(+town) and producers(+village, town): 2 queries, + 1 COUNT for totalCount
    assert len(small.captured_queries) == len(large.captured_queries) == 3


def test_village_by_id_and_by_code(gql):
    village = VillageFactory(code="610627100200", name="闫家沟村")
    ProducerFactory(village=village, name="闫家沟蜂业合作社")

    by_id = gql.data("query($id: ID) { village(id: $id) { name } }", {"id": gid(village)})
    by_code = gql.data('{ village(code: "610627100200") { name producers { name } } }')
    missing = gql.data('{ village(code: "000") { name } }')
    garbage = gql.data('{ village(id: "x") { name } }')

    assert by_id == {"village": {"name": "闫家沟村"}}
    assert by_code["village"]["producers"] == [{"name": "闫家沟蜂业合作社"}]
    assert missing == {"village": None}
    assert garbage == {"village": None}


def test_producers_filtered_by_village_and_kind(gql):
    a, b = VillageFactory(), VillageFactory()
    ProducerFactory(village=a, name="甲合作社")
    ProducerFactory(village=a, name="甲企业", kind="enterprise")
    ProducerFactory(village=b, name="乙合作社")

    data = gql.data(
        "query($v: [ID!]) { producers(first: 10, filter: {villages: $v, kind: COOPERATIVE}) "
        "{ edges { node { name village { name } } } } }",
        {"v": [gid(a)]},
    )

    assert [e["node"]["name"] for e in data["producers"]["edges"]] == ["甲合作社"]


def test_producer_by_id(gql):
    producer = ProducerFactory(name="甘泉县测试农业科技有限公司", kind="enterprise")

    data = gql.data(
        "query($id: ID!) { producer(id: $id) { name kind village { name } } }",
        {"id": gid(producer)},
    )

    assert data["producer"]["name"] == "甘泉县测试农业科技有限公司"
    assert data["producer"]["kind"] == "ENTERPRISE"


def test_categories_tree(gql):
    top = gql.data("{ categories(level: 0) { name slug level children { slug level } } }")
    slugs = [c["slug"] for c in top["categories"]]
    assert slugs == ["vegetables", "fruit", "grains", "fungi", "honey"]
    honey = top["categories"][-1]
    assert {c["slug"] for c in honey["children"]} >= {"wild-honey", "acacia-honey"}
    assert all(c["level"] == 1 for c in honey["children"])
    assert honey["name"] == "蜂蜜"
