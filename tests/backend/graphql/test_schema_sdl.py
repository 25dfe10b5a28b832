"""The committed backend/schema.graphql is the printed schema, byte for byte."""

import difflib

import pytest
from django.core.management import CommandError, call_command

from alliance.graphql.management.commands.export_schema import (
    REFRESH_HINT,
    SCHEMA_PATH,
    render_schema,
)


def test_the_committed_schema_is_up_to_date():
    printed = render_schema()
    committed = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""

    if committed != printed:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                printed.splitlines(keepends=True),
                "schema.graphql (committed)",
                "schema (printed)",
            )
        )
        pytest.fail(
            f"{SCHEMA_PATH} differs from the schema; refresh it with `{REFRESH_HINT}`"
            f" and commit it.\n{diff[:4000]}",
            pytrace=False,
        )


def test_the_printed_schema_describes_the_api():
    sdl = render_schema()

    assert sdl.startswith("type Query {")
    assert sdl.endswith("\n") and not sdl.endswith("\n\n")
    assert "  products(" in sdl and "type Product implements Node {" in sdl
    assert "type Mutation {" in sdl


def test_export_schema_writes_the_printed_schema(tmp_path):
    target = tmp_path / "schema.graphql"

    call_command("export_schema", output=str(target))
    first = target.read_bytes()
    call_command("export_schema", output=str(target))

    assert first == target.read_bytes() == render_schema().encode()


def test_export_schema_check_fails_on_a_stale_file_and_changes_nothing(tmp_path):
    target = tmp_path / "schema.graphql"
    call_command("export_schema", output=str(target))
    call_command("export_schema", output=str(target), check=True)  # up to date: passes
    stale = render_schema().replace("type Query {", "type Query {\n  removedField: Int", 1)
    target.write_text(stale, encoding="utf-8")

    with pytest.raises(CommandError, match="out of date; refresh it with `DEBUG=1 python"):
        call_command("export_schema", output=str(target), check=True)

    assert target.read_text(encoding="utf-8") == stale


def test_export_schema_check_fails_when_the_file_is_missing(tmp_path):
    target = tmp_path / "missing.graphql"

    with pytest.raises(CommandError, match="out of date"):
        call_command("export_schema", output=str(target), check=True)

    assert not target.exists()
