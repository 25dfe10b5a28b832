"""Print the alliance's totals to date, the figures the county reports.

    python backend/manage.py alliance_totals

prints two lines, Chinese then English, e.g.

    累计销售 1,408.2 吨 / 6,812,345.67 元 · 63 个村 · 210 个经营主体 · 12,345 笔订单
    Sold to date 1,408.2 t / ¥6,812,345.67 · 63 villages · 210 producers · 12,345 orders

(tonnes net of goods given back; yuan = sales minus refunds; villages and producers with
sales; paid orders). Always computed afresh (and re-cached for allianceTotals);
`--detail` adds the exact figures behind the rounded ones.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from alliance.reports.totals import alliance_totals, format_totals


class Command(BaseCommand):
    help = "Print the alliance's totals to date (tonnes, yuan, villages, producers, orders)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--detail", action="store_true", help="Also print the exact figures.")

    def handle(self, *args: Any, **options: Any) -> None:
        totals = alliance_totals(fresh=True)
        for line in format_totals(totals):
            self.stdout.write(line)
        if options["detail"]:
            self.stdout.write(
                f"weight {totals.kg} kg ({totals.tonnes} t); gross {totals.gross} 元, "
                f"refunds {totals.refunds} 元, value {totals.value} 元; villages "
                f"{totals.villages_with_sales}/{totals.villages}; producers "
                f"{totals.producers_with_sales}/{totals.producers}; orders {totals.orders}; "
                f"as of {timezone.localtime(totals.as_of):%Y-%m-%d %H:%M}"
            )
