"""`manage.py load_demo`: build the demo county (see alliance.core.demo).

python backend/manage.py load_demo              # build or complete it; safe to repeat
python backend/manage.py load_demo --reset      # delete demo rows first, then build
python backend/manage.py load_demo --no-photos  # no generated photos (and no thumbnails)
python backend/manage.py load_demo --no-history # no year of sales (orders, refunds, statements)
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance.core.demo import DEMO_PASSWORD, load_demo_county
from alliance.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Build the demo county: 6 townships, 63 villages, 210 producers, products with photos, "
        "stock with 90 days of history, a year of sales settled month by month, and demo "
        "logins. Only demo rows (is_demo, and the inventory of demo products) are ever "
        "created or deleted."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete all demo rows (is_demo) first."
        )
        parser.add_argument(
            "--photos",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Generate a photo per product (default: yes).",
        )
        parser.add_argument(
            "--thumbnails",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Make the photos' WebP thumbnails (default: yes).",
        )
        parser.add_argument(
            "--thumbnail-limit",
            type=int,
            default=None,
            metavar="N",
            help="Make thumbnails for at most N photos in this run (a later run does the rest).",
        )
        parser.add_argument(
            "--history",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="A year of sales, refunds and losses, settled by month (default: yes).",
        )
        parser.add_argument(
            "--history-scale",
            type=float,
            default=1.0,
            metavar="S",
            help="Build S times the history (default 1: about 1,408 t and 6.8 million yuan).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["thumbnail_limit"]
        if limit is not None and limit < 0:
            raise CommandError("--thumbnail-limit must be 0 or more.")
        if not 0 < options["history_scale"] <= 1:
            raise CommandError("--history-scale must be more than 0 and at most 1.")
        try:
            result = load_demo_county(
                reset=options["reset"],
                photos=options["photos"],
                thumbnails=options["thumbnails"],
                thumbnail_limit=limit,
                show_progress=not options["no_progress"],
                history=options["history"],
                history_scale=options["history_scale"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc

        if options["reset"]:
            removed = ", ".join(f"{n} {k}" for k, n in result.deleted.items())
            self.stdout.write(f"Removed demo data: {removed}.")
        created = ", ".join(f"{n} {k}" for k, n in result.created.items() if n) or "nothing"
        totals = ", ".join(f"{n} {k}" for k, n in result.totals.items())
        self.stdout.write(f"Created {created}.")
        self.stdout.write(f"Demo county now: {totals}.")
        for note in result.notes:
            self.stderr.write(self.style.WARNING(note))
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {result.seconds:.1f} s. Demo logins (password {DEMO_PASSWORD}): "
                "staff@, secretary@, operator@, consumer@example.com"
            )
        )
