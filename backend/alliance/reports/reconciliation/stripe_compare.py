"""What Stripe says about the period, compared charge by charge and refund by refund with
our Payment and Refund rows.

Stripe's balance transactions are listed through alliance.payments.gateways.stripe
(`list_balance_transactions`, all pages, with each transaction's source expanded so that
it names its PaymentIntent). How they link to our rows:
- a charge (type `charge` or `payment`): its source is the charge, whose PaymentIntent is
  our Payment.psp_reference (gateway stripe);
- a refund (type `refund` or `payment_refund`): its source is the refund, whose id is our
  Refund.psp_reference.
Stripe's figures count the transactions created in the range; the matching looks
MARGIN further on either side, so that a charge made at 23:59:59 whose capture we recorded
after midnight is not reported as missing on either side.

Problems (each with the records behind it: the balance transaction, the Stripe charge or
refund, and our Payment / Order when we know them):
- STRIPE_CHARGE_UNKNOWN: a charge in the range for which we have no captured payment;
- STRIPE_REFUND_UNKNOWN: a refund in the range that we have not recorded as succeeded
  (e.g. made in Stripe's dashboard and never reached us);
- AMOUNT_MISMATCH: both sides know it but the amounts differ;
- STRIPE_PAYMENT_MISSING / STRIPE_REFUND_MISSING: captured / refunded on our side in the
  range, unknown to Stripe.
Each comparison is one SQL statement: Stripe's list goes in as arrays (unnest) and is
joined with our rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

from alliance.core.errors import DomainError
from alliance.core.money import from_fen, quantize, to_fen
from alliance.orders.models import Order
from alliance.payments.gateways import stripe as stripe_gateway
from alliance.payments.models import Gateway, Payment, Refund
from alliance.reports.ranges import DateRange
from alliance.reports.reconciliation.types import (
    Discrepancy,
    Kind,
    PaymentsSection,
    Record,
    StripeSection,
    StripeState,
)
from alliance.reports.sql import fetchall, table

MARGIN = timedelta(days=2)
CHARGE_TYPES = ("charge", "payment")
REFUND_TYPES = ("refund", "payment_refund")


def _charges_sql() -> str:
    return f"""
    WITH s AS (
        SELECT * FROM unnest(%(txn)s::text[], %(source)s::text[], %(pi)s::text[],
                             %(fen)s::bigint[], %(inside)s::boolean[])
               AS s(txn, source, pi, fen, inside)
    ), ours AS (
        SELECT p.id, p.order_id, p.psp_reference, p.captured_amount, p.status,
               p.captured_at IS NOT NULL AS captured,
               COALESCE(p.captured_at >= %(start)s AND p.captured_at < %(end)s, FALSE) AS inside
          FROM {table(Payment)} p
         WHERE p.gateway = %(gateway)s AND p.psp_reference IS NOT NULL
           AND (p.psp_reference = ANY(%(pi)s::text[])
                OR (p.captured_at >= %(start)s AND p.captured_at < %(end)s))
    ), j AS (
        SELECT s.txn, s.source, COALESCE(s.pi, ours.psp_reference) AS pi, s.fen,
               ours.id AS payment_id, ours.order_id, ours.captured_amount, ours.status,
               CASE
                 WHEN s.txn IS NOT NULL AND s.inside AND (ours.id IS NULL OR NOT ours.captured)
                   THEN 'STRIPE_CHARGE_UNKNOWN'
                 WHEN s.txn IS NOT NULL AND ours.captured AND (s.inside OR ours.inside)
                      AND ours.captured_amount * 100 <> s.fen
                   THEN 'AMOUNT_MISMATCH'
                 WHEN s.txn IS NULL AND ours.inside
                   THEN 'STRIPE_PAYMENT_MISSING'
               END AS problem,
               (s.inside AND ours.captured) IS TRUE AS matched
          FROM s FULL OUTER JOIN ours ON ours.psp_reference = s.pi
    )
    SELECT j.problem, j.txn, j.source, j.pi, j.fen, j.payment_id, j.order_id, o.number,
           j.captured_amount::text, j.status, NULL::bigint
      FROM j LEFT JOIN {table(Order)} o ON o.id = j.order_id
     WHERE j.problem IS NOT NULL
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           COUNT(*) FILTER (WHERE j.matched)
      FROM j
    """


def _refunds_sql() -> str:
    return f"""
    WITH s AS (
        SELECT * FROM unnest(%(txn)s::text[], %(source)s::text[], %(pi)s::text[],
                             %(fen)s::bigint[], %(inside)s::boolean[])
               AS s(txn, source, pi, fen, inside)
    ), ours AS (
        SELECT r.id, r.psp_reference, r.amount, r.status, p.id AS payment_id, p.order_id,
               r.status = 'succeeded' AS succeeded,
               COALESCE(r.status = 'succeeded' AND r.succeeded_at >= %(start)s
                        AND r.succeeded_at < %(end)s, FALSE) AS inside
          FROM {table(Refund)} r JOIN {table(Payment)} p ON p.id = r.payment_id
         WHERE r.psp_reference = ANY(%(source)s::text[])
            OR (p.gateway = %(gateway)s AND r.status = 'succeeded'
                AND r.succeeded_at >= %(start)s AND r.succeeded_at < %(end)s)
    ), j AS (
        SELECT s.txn, COALESCE(s.source, ours.psp_reference) AS source, s.pi, s.fen,
               ours.id AS refund_id, ours.amount, ours.status,
               COALESCE(ours.payment_id, pp.id) AS payment_id,
               COALESCE(ours.order_id, pp.order_id) AS order_id,
               CASE
                 WHEN s.txn IS NOT NULL AND s.inside AND (ours.id IS NULL OR NOT ours.succeeded)
                   THEN 'STRIPE_REFUND_UNKNOWN'
                 WHEN s.txn IS NOT NULL AND ours.succeeded AND (s.inside OR ours.inside)
                      AND ours.amount * 100 <> s.fen
                   THEN 'AMOUNT_MISMATCH'
                 WHEN s.txn IS NULL AND ours.inside
                   THEN 'STRIPE_REFUND_MISSING'
               END AS problem,
               (s.inside AND ours.succeeded) IS TRUE AS matched
          FROM s FULL OUTER JOIN ours ON ours.psp_reference = s.source
          LEFT JOIN {table(Payment)} pp ON ours.id IS NULL AND pp.gateway = %(gateway)s
                                       AND pp.psp_reference = s.pi
    )
    SELECT j.problem, j.txn, j.source, j.pi, j.fen, j.payment_id, j.order_id, o.number,
           j.amount::text, j.status, j.refund_id, NULL::bigint
      FROM j LEFT JOIN {table(Order)} o ON o.id = j.order_id
     WHERE j.problem IS NOT NULL
    UNION ALL
    SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           COUNT(*) FILTER (WHERE j.matched)
      FROM j
    """


def _arrays(txns: list[stripe_gateway.BalanceTransactionResult], span: DateRange) -> dict:
    return {
        "txn": [t.id for t in txns],
        "source": [t.source for t in txns],
        "pi": [t.payment_intent_id for t in txns],
        "fen": [abs(to_fen(t.amount)) for t in txns],
        "inside": [span.contains(t.created) for t in txns],
        "start": span.start_utc,
        "end": span.end_utc,
        "gateway": Gateway.STRIPE,
    }


def _stripe_records(txn: str | None, source: str | None, kind: str) -> list[Record]:
    records = []
    if txn:
        records.append(Record("StripeBalanceTransaction", None, txn, reference=txn))
    if source:
        records.append(Record(kind, None, source, reference=source))
    return records


def _our_records(payment_id: Any, order_id: Any, number: Any, pi: Any) -> list[Record]:
    records = []
    if order_id:
        records.append(Record("Order", int(order_id), str(number)))
    if payment_id:
        records.append(Record("Payment", int(payment_id), f"stripe {pi or ''}".strip()))
    return records


def _charge_problems(rows: list[tuple[Any, ...]]) -> tuple[list[Discrepancy], int]:
    found, matched = [], 0
    for problem, txn, source, pi, fen, payment_id, order_id, number, ours, status, n in rows:
        if problem is None:
            matched = int(n or 0)
            continue
        theirs = from_fen(int(fen)) if fen is not None else None
        mine = quantize(Decimal(ours)) if ours is not None else None
        if problem == Kind.STRIPE_CHARGE_UNKNOWN:
            message = (
                f"Stripe charged {theirs} ({source}, PaymentIntent {pi or 'unknown'}) but "
                + (
                    f"our payment for order {number} is {status}, not captured."
                    if payment_id
                    else "we have no payment for it."
                )
            )
            amount = theirs
        elif problem == Kind.AMOUNT_MISMATCH:
            message = (
                f"Stripe charged {theirs} ({source}) for order {number}; we recorded {mine} "
                "captured."
            )
            amount = abs((theirs or 0) - (mine or 0))
        else:
            message = (
                f"We recorded {mine} captured through Stripe for order {number} "
                f"(PaymentIntent {pi}), but Stripe lists no charge for it."
            )
            amount = mine
        found.append(
            Discrepancy(
                kind=problem,
                message=message,
                amount=amount,
                records=[
                    *_stripe_records(txn, source, "StripeCharge"),
                    *_our_records(payment_id, order_id, number, pi),
                ],
            )
        )
    return found, matched


def _refund_problems(rows: list[tuple[Any, ...]]) -> tuple[list[Discrepancy], int]:
    found, matched = [], 0
    for row in rows:
        problem, txn, source, pi, fen, payment_id, order_id, number, ours, status = row[:10]
        refund_id, n = row[10], row[11]
        if problem is None:
            matched = int(n or 0)
            continue
        theirs = from_fen(int(fen)) if fen is not None else None
        mine = quantize(Decimal(ours)) if ours is not None else None
        order = f"order {number}" if number else "an order we cannot find"
        if problem == Kind.STRIPE_REFUND_UNKNOWN:
            message = f"Stripe refunded {theirs} ({source}) of {order}, but " + (
                f"our refund is {status}, not succeeded."
                if refund_id
                else "the order shows no such refund."
            )
            amount = theirs
        elif problem == Kind.AMOUNT_MISMATCH:
            message = f"Stripe refunded {theirs} ({source}) of {order}; we recorded {mine}."
            amount = abs((theirs or 0) - (mine or 0))
        else:
            message = (
                f"We recorded a refund of {mine} through Stripe for {order} ({source}), but "
                "Stripe lists no such refund."
            )
            amount = mine
        records = [
            *_stripe_records(txn, source, "StripeRefund"),
            *_our_records(payment_id, order_id, number, pi),
        ]
        if refund_id:
            records.append(Record("Refund", int(refund_id), f"refund {mine}"))
        found.append(Discrepancy(kind=problem, message=message, amount=amount, records=records))
    return found, matched


@dataclass(frozen=True)
class StripeListing:
    """What Stripe answered (or why it was not asked / did not answer)."""

    state: str
    message: str = ""
    transactions: tuple[stripe_gateway.BalanceTransactionResult, ...] = ()


def stripe_fetch(span: DateRange) -> StripeListing:
    """Stripe's balance transactions around the range (network; no database access)."""
    if not getattr(settings, "STRIPE_SECRET_KEY", None):
        return StripeListing(
            StripeState.NOT_CONFIGURED,
            "Stripe is not configured (no STRIPE_SECRET_KEY): nothing to compare.",
        )
    try:
        listed = stripe_gateway.list_balance_transactions(
            created_gte=span.start_utc - MARGIN, created_lt=span.end_utc + MARGIN
        )
    except DomainError as exc:
        return StripeListing(
            StripeState.UNAVAILABLE,
            f"Stripe's balance transactions could not be read: {exc.message}",
        )
    return StripeListing(StripeState.OK, transactions=tuple(listed))


def stripe_section(
    span: DateRange, listing: StripeListing, payments: PaymentsSection
) -> tuple[StripeSection, list[Discrepancy]]:
    """Stripe's side of the period, and the problems found comparing it with ours (two
    SQL statements; none when Stripe was not asked or did not answer)."""
    ours = payments.of(Gateway.STRIPE)
    if listing.state != StripeState.OK:
        section = StripeSection(
            state=listing.state,
            message=listing.message,
            ours_captured=ours.captured,
            ours_refunded=ours.refunded,
        )
        return section, []
    listed = listing.transactions
    inside = [t for t in listed if span.contains(t.created)]
    charges = [t for t in inside if t.type in CHARGE_TYPES]
    refunds = [t for t in inside if t.type in REFUND_TYPES]
    other = [t for t in inside if t.type not in CHARGE_TYPES + REFUND_TYPES]
    zero = Decimal("0.00")

    charge_rows = fetchall(
        _charges_sql(), _arrays([t for t in listed if t.type in CHARGE_TYPES], span)
    )
    refund_rows = fetchall(
        _refunds_sql(), _arrays([t for t in listed if t.type in REFUND_TYPES], span)
    )
    charge_problems, matched_charges = _charge_problems(charge_rows)
    refund_problems, matched_refunds = _refund_problems(refund_rows)
    section = StripeSection(
        state=StripeState.OK,
        charges=len(charges),
        charged=sum((t.amount for t in charges), zero),
        refunds=len(refunds),
        refunded=-sum((t.amount for t in refunds), zero),
        fees=sum((t.fee for t in inside), zero),
        net=sum((t.net for t in inside), zero),
        other=len(other),
        other_amount=sum((t.amount for t in other), zero),
        matched_charges=matched_charges,
        matched_refunds=matched_refunds,
        ours_captured=ours.captured,
        ours_refunded=ours.refunded,
    )
    return section, charge_problems + refund_problems
