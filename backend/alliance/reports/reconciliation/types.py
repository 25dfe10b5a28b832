"""What a reconciliation holds: plain frozen dataclasses (no ORM objects, no graphene)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from alliance.reports.ranges import DateRange

ZERO = Decimal("0.00")


class Kind:
    """Discrepancy kinds (stable codes)."""

    FULFILLED_NOT_PAID = "FULFILLED_NOT_PAID"
    PAYMENT_MISMATCH = "PAYMENT_MISMATCH"
    STRIPE_CHARGE_UNKNOWN = "STRIPE_CHARGE_UNKNOWN"
    STRIPE_REFUND_UNKNOWN = "STRIPE_REFUND_UNKNOWN"
    STRIPE_PAYMENT_MISSING = "STRIPE_PAYMENT_MISSING"
    STRIPE_REFUND_MISSING = "STRIPE_REFUND_MISSING"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    TRANSFER_SHORT = "TRANSFER_SHORT"
    STOCK_FLOW_MISMATCH = "STOCK_FLOW_MISMATCH"
    UNSETTLED_LINES = "UNSETTLED_LINES"
    STATEMENT_NOT_PAID = "STATEMENT_NOT_PAID"
    ALL = (
        FULFILLED_NOT_PAID,
        PAYMENT_MISMATCH,
        STRIPE_CHARGE_UNKNOWN,
        STRIPE_REFUND_UNKNOWN,
        STRIPE_PAYMENT_MISSING,
        STRIPE_REFUND_MISSING,
        AMOUNT_MISMATCH,
        TRANSFER_SHORT,
        STOCK_FLOW_MISMATCH,
        UNSETTLED_LINES,
        STATEMENT_NOT_PAID,
    )


@dataclass(frozen=True)
class Record:
    """A row behind a discrepancy. `type` is the GraphQL type name where one exists (Order,
    OrderLine, Payment, Transfer, TransferLine, StockMovement, Stock, Warehouse, ...) so the
    API can give its global id; Stripe objects carry their Stripe id in `reference`."""

    type: str
    pk: int | None
    label: str
    reference: str = ""


@dataclass(frozen=True)
class Discrepancy:
    kind: str
    message: str
    records: list[Record]
    amount: Decimal | None = None  # CNY at stake (positive)
    weight_g: int | None = None  # grams at stake (positive)


@dataclass(frozen=True)
class SalesSection:
    """Paid orders created in the period (goods and shipping) and refunds that succeeded in
    it. For a first secretary: their village's lines; shipping (no village's) is 0."""

    orders: int
    lines: int
    goods: Decimal
    shipping: Decimal
    refunds: Decimal  # all money given back (goods + shipping)
    refunds_goods: Decimal  # RefundLine amounts: goods
    weight_g: int
    returned_weight_g: int

    @property
    def gross(self) -> Decimal:
        return self.goods + self.shipping

    @property
    def refunds_shipping(self) -> Decimal:
        return self.refunds - self.refunds_goods

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunds


@dataclass(frozen=True)
class GatewayFigures:
    gateway: str  # stripe, demo, cash, bank_transfer, or "total"
    payments: int = 0  # captured in the period (captured_at)
    captured: Decimal = ZERO
    refund_count: int = 0  # succeeded in the period (succeeded_at)
    refunded: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.captured - self.refunded


@dataclass(frozen=True)
class PaymentsSection:
    gateways: list[GatewayFigures]
    total: GatewayFigures

    def of(self, gateway: str) -> GatewayFigures:
        return next((g for g in self.gateways if g.gateway == gateway), GatewayFigures(gateway))


class StripeState:
    OK = "OK"
    NOT_CONFIGURED = "NOT_CONFIGURED"  # no STRIPE_SECRET_KEY: nothing asked
    UNAVAILABLE = "UNAVAILABLE"  # Stripe did not answer (message says why)


@dataclass(frozen=True)
class StripeSection:
    """What Stripe's balance transactions created in the period say."""

    state: str
    message: str = ""
    charges: int = 0
    charged: Decimal = ZERO
    refunds: int = 0
    refunded: Decimal = ZERO  # positive
    fees: Decimal = ZERO
    net: Decimal = ZERO  # what Stripe says reaches the balance (all types)
    other: int = 0  # payouts, adjustments, ... (counted in net)
    other_amount: Decimal = ZERO
    matched_charges: int = 0  # charges of the period found as our captured payments
    matched_refunds: int = 0
    ours_captured: Decimal = ZERO  # our Stripe payments captured in the period
    ours_refunded: Decimal = ZERO  # our Stripe refunds succeeded in the period


@dataclass(frozen=True)
class StatementFigures:
    status: str  # draft, confirmed, paid, or "total"
    statements: int = 0
    lines: int = 0
    weight_g: int = 0
    gross: Decimal = ZERO
    refunds: Decimal = ZERO
    commission: Decimal = ZERO
    net_payable: Decimal = ZERO
    paid: Decimal = ZERO


@dataclass(frozen=True)
class StatementsSection:
    periods: list[str]  # settlement period codes overlapping the range
    by_status: list[StatementFigures]
    total: StatementFigures
    # Settleable lines (paid order, line done) done in the range, and those settled.
    settleable_lines: int = 0
    settleable_gross: Decimal = ZERO
    settled_lines: int = 0
    settled_gross: Decimal = ZERO

    @property
    def unsettled_lines(self) -> int:
        return self.settleable_lines - self.settled_lines

    @property
    def unsettled_gross(self) -> Decimal:
        return self.settleable_gross - self.settled_gross


@dataclass(frozen=True)
class WarehouseFlow:
    """Grams through one warehouse in the period, from the StockMovement ledger. Outgoing
    figures are positive; adjustments are signed."""

    warehouse_id: int | None
    code: str
    name: str
    opening_g: int = 0
    received_g: int = 0
    transferred_in_g: int = 0
    returns_g: int = 0
    sold_online_g: int = 0
    sold_base_g: int = 0
    transferred_out_g: int = 0
    lost_g: int = 0
    adjustments_g: int = 0
    closing_g: int = 0  # the ledger's sum at the end
    stock_table_g: int | None = None  # Stock rows now, when the range includes now
    # Units on hand by the Stock table minus units by the ledger (when checked): not 0 means
    # some Stock rows differ from their ledger (weights alone could hide it).
    stock_quantity_off: int = 0

    @property
    def sold_g(self) -> int:
        return self.sold_online_g + self.sold_base_g

    @property
    def expected_closing_g(self) -> int:
        return (
            self.opening_g
            + self.received_g
            + self.transferred_in_g
            + self.returns_g
            + self.adjustments_g
            - self.sold_g
            - self.transferred_out_g
            - self.lost_g
        )

    @property
    def balanced(self) -> bool:
        """opening + in - out = closing, and (when checked) the Stock table agrees."""
        return self.expected_closing_g == self.closing_g and (
            self.stock_table_g is None
            or (self.stock_table_g == self.closing_g and self.stock_quantity_off == 0)
        )


@dataclass(frozen=True)
class StockSection:
    warehouses: list[WarehouseFlow]
    total: WarehouseFlow
    checked_against_stock: bool  # the range includes now: closing compared with Stock rows


@dataclass(frozen=True)
class Reconciliation:
    period: DateRange
    village_id: int | None  # a first secretary's: their village
    sales: SalesSection
    payments: PaymentsSection | None  # staff only
    stripe: StripeSection | None  # staff only
    statements: StatementsSection
    stock: StockSection
    discrepancies: list[Discrepancy]
    # Per kind: how many were found (the list keeps at most MAX_PER_KIND of each).
    discrepancy_counts: dict[str, int] = field(default_factory=dict)
    village_name: str = ""

    @property
    def payments_minus_sales(self) -> Decimal | None:
        """Net captured minus net sales of the period (timing: orders paid across the
        boundary, counter sales and online sales alike); None for a first secretary."""
        return None if self.payments is None else self.payments.total.net - self.sales.net
