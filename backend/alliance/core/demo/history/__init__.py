"""The demo county's sales history: a year of orders, refunds and losses, settled by month.

What it builds (planned in Python from a fixed seed, dates relative to today, then written
with COPY, a few statements per table):
- online orders of a few kilograms each (storefront buyers, delivery or pick-up, paid with
  the demo gateway), shipped from the alliance base or a village collection point; some
  come back (refund with the goods returned), a few get money back only, a few are
  cancelled unpaid; consumer@example.com has several of them, from different villages;
- counter sales at the base: canteens, enterprises and wholesalers buying hundreds of
  kilograms (festival gift boxes before the Spring Festival and Mid-Autumn), paid cash or by
  bank transfer, a few partly refunded;
- the stock behind every sale: harvest lots delivered to the village collection points
  (RECEIPT), the weekly transfers to the base (TRANSFER_OUT / TRANSFER_IN, some arriving
  short), sorting and spoilage losses, sales (ONLINE_SALE / BASE_SALE), returns. Every lot of
  the history is used up: on-hand stock today is the inventory's (alliance.core.demo
  .inventory), and each stock row's balance never dips below zero along the ledger.

The amounts are steered so that the alliance's totals, counted as the reports count them
(lines of paid orders; weight net of goods given back; value = line totals - refund lines),
come to TARGET_TONNES and TARGET_YUAN: the online year is drawn first, then the counter
sales fill the rest, each line chosen cheaper or dearer per kilogram as the running value
runs ahead of or behind the target, and a last wholesale order closes the gap exactly.
`scale` shrinks the year (targets and order counts) for tests.

Products listed more than two months ago were on sale all year: their publication date moves
back before the history starts (newer products sell only since theirs). In the inventory's
last 90 days the history's goods travel on the inventory's weekly transfers.

Numbers never collide with the live sequences: orders "AMD<date>-<n>", counter receipts
"RD<date>-<n>", new transfers "DEMO-H<n>". Orders carry is_demo=True; the history runs only
when no demo order exists, so a second load adds nothing.

Settlement (`settle_demo_history`, after the load's transaction commits): every ended
period is generated, confirmed and paid in full by bank transfer, except the last one
(confirmed, partly paid); the current one stays open (no statements). Resumable and
idempotent (a period with demo statements is not generated again).

Modules: data (constants), model (the plan's types), orders (the year's orders), supply
(the stock behind them), load (reading the catalogue, planning), write (COPY), settle
(settlement, totals, reset).
"""

from alliance.core.demo.history.data import (
    ORDER_PREFIX,
    RECEIPT_PREFIX,
    TARGET_TONNES,
    TARGET_YUAN,
    TRANSFER_PREFIX,
)
from alliance.core.demo.history.load import plan_demo_history
from alliance.core.demo.history.model import HistoryPlan
from alliance.core.demo.history.settle import (
    demo_history_totals,
    demo_sales_totals,
    history_reset,
    history_reset_blockers,
    settle_demo_history,
)
from alliance.core.demo.history.write import ensure_demo_history

__all__ = [
    "ORDER_PREFIX",
    "RECEIPT_PREFIX",
    "TARGET_TONNES",
    "TARGET_YUAN",
    "TRANSFER_PREFIX",
    "HistoryPlan",
    "demo_history_totals",
    "demo_sales_totals",
    "ensure_demo_history",
    "history_reset",
    "history_reset_blockers",
    "plan_demo_history",
    "settle_demo_history",
]
