"""Every console operation (storefront/console/queries/*.graphql) is valid against the
backend's current schema (backend/schema.graphql, the SDL a test keeps current), so a
renamed field fails here rather than on a cooperative's phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

ROOT = Path(__file__).resolve().parents[2]
QUERIES = sorted((ROOT / "storefront" / "console" / "queries").glob("*.graphql"))


@pytest.fixture(scope="module")
def schema():  # type: ignore[no-untyped-def]
    return build_schema((ROOT / "backend" / "schema.graphql").read_text(encoding="utf-8"))


def test_there_are_console_queries() -> None:
    assert len(QUERIES) >= 20


@pytest.mark.parametrize("path", QUERIES, ids=[p.stem for p in QUERIES])
def test_console_query_is_valid_against_the_backend_schema(schema, path: Path) -> None:  # type: ignore[no-untyped-def]
    errors = validate(schema, parse(path.read_text(encoding="utf-8")))
    assert [e.message for e in errors] == []
