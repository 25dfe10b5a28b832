from alliance.core.errors import DomainError


class OrderError(DomainError):
    code = "INVALID"


class OrderStatusInvalid(OrderError):
    code = "ORDER_STATUS_INVALID"


class NoLines(OrderError):
    code = "NO_LINES"


class DuplicateLine(OrderError):
    code = "DUPLICATE_LINE"


class InvalidQuantity(OrderError):
    code = "INVALID_QUANTITY"


class VariantNotAvailable(OrderError):
    """Unpublished, or without an available price in the order's channel."""

    code = "VARIANT_NOT_AVAILABLE"


class PaymentMethodInvalid(OrderError):
    code = "PAYMENT_METHOD_INVALID"


class PaymentReferenceRequired(OrderError):
    code = "PAYMENT_REFERENCE_REQUIRED"


class OrderPaid(OrderError):
    """A paid order is refunded (orderRefund) before it can be cancelled."""

    code = "ORDER_PAID"
