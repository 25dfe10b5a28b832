"""Stable codes of checkout failures (the GraphQL layer shows them in `errors`)."""

from alliance.core.errors import DomainError, ValidationFailed


class CheckoutError(DomainError):
    code = "INVALID"


class CheckoutNotFound(CheckoutError):
    """Unknown token, or a checkout that belongs to another user (no existence oracle)."""

    code = "NOT_FOUND"


class CheckoutCompleted(CheckoutError):
    code = "CHECKOUT_COMPLETED"


class VariantNotFound(CheckoutError):
    code = "NOT_FOUND"


class VariantNotAvailable(CheckoutError):
    """Unpublished, or without an available price in the checkout's channel."""

    code = "NOT_AVAILABLE"


class InsufficientStock(CheckoutError):
    code = "INSUFFICIENT_STOCK"


class InvalidQuantity(CheckoutError):
    code = "INVALID_QUANTITY"


class DuplicateLine(CheckoutError):
    code = "DUPLICATE_LINE"


class TooManyLines(CheckoutError):
    code = "TOO_MANY_LINES"


class LineNotFound(CheckoutError):
    code = "NOT_FOUND"


class InvalidEmail(CheckoutError):
    code = "INVALID_EMAIL"


class AddressInvalid(CheckoutError):
    code = "INVALID"


class AddressRequired(CheckoutError):
    code = "REQUIRED"


class InvalidPhone(CheckoutError):
    code = "INVALID_PHONE"


class InvalidDeliveryMethod(CheckoutError):
    code = "INVALID_DELIVERY_METHOD"


class PickupNotAvailable(CheckoutError):
    code = "PICKUP_NOT_AVAILABLE"


class CheckoutNotReady(ValidationFailed):
    """The checkout has problems; `errors` holds one CheckoutError per problem, its code
    the problem's code (alliance.checkout.selectors.Problem)."""
