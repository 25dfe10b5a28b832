"""Every operation in storefront/api/queries validates against the committed SDL
(backend/schema.graphql), so a schema change that breaks the shop fails here, fast."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "storefront"))
from api.client import fragments, load_query  # noqa: E402  (the storefront's own package)

QUERIES = sorted((ROOT / "storefront" / "api" / "queries").glob("*.graphql"))
SCHEMA = build_schema((ROOT / "backend" / "schema.graphql").read_text(encoding="utf-8"))


def test_there_are_queries() -> None:
    assert len(QUERIES) >= 20


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_query_is_valid_against_the_schema(path: Path) -> None:
    errors = validate(SCHEMA, parse(load_query(path.stem)))
    assert errors == [], [e.message for e in errors]


def test_shared_fragments_are_used_and_appended_once() -> None:
    assert "OrderFields" in fragments()
    text = load_query("order")
    assert text.count("fragment OrderFields on Order") == 1
    # A query that spreads no shared fragment gets none appended.
    assert "fragment OrderFields" not in load_query("categories")


def test_a_broken_query_is_caught() -> None:
    errors = validate(SCHEMA, parse("{ products(first: 1) { edges { node { noSuchField } } } }"))
    assert errors
