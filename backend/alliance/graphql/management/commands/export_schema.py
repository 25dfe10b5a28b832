"""Write the API schema as SDL to backend/schema.graphql (the committed contract).

    DEBUG=1 python backend/manage.py export_schema            # rewrite backend/schema.graphql
    DEBUG=1 python backend/manage.py export_schema --check    # exit 1 if the file is out of date
    DEBUG=1 python backend/manage.py export_schema --output - # print to stdout

The output is deterministic: the same schema always prints the same bytes, so a diff of
the committed file shows exactly how the API changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from graphql import print_schema

SCHEMA_PATH: Path = Path(settings.BASE_DIR) / "schema.graphql"
REFRESH_HINT = "DEBUG=1 python backend/manage.py export_schema"


def render_schema() -> str:
    """The SDL of the live schema, ending with one newline."""
    from alliance.graphql.schema import schema

    return print_schema(schema.graphql_schema).rstrip("\n") + "\n"


class Command(BaseCommand):
    help = "Write the GraphQL schema (SDL) to backend/schema.graphql."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=str(SCHEMA_PATH),
            help=f"File to write, or - for stdout (default: {SCHEMA_PATH}).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if the file differs from the schema.",
        )

    def handle(self, *args: Any, output: str, check: bool, **options: Any) -> None:
        sdl = render_schema()
        if output == "-":
            self.stdout.write(sdl, ending="")
            return
        path = Path(output)
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != sdl:
                raise CommandError(f"{path} is out of date; refresh it with `{REFRESH_HINT}`.")
            self.stdout.write(f"{path} is up to date.")
            return
        if path.exists() and path.read_text(encoding="utf-8") == sdl:
            self.stdout.write(f"{path} is up to date.")
            return
        path.write_text(sdl, encoding="utf-8")
        self.stdout.write(f"Wrote {path} ({sdl.count(chr(10))} lines).")
