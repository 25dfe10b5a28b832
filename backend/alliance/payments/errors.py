"""Payment gateway failures with stable codes (the GraphQL layer maps them to `errors`).

Raised by alliance.payments.gateways.*; the provider's own details (Stripe error code,
decline code, request id, HTTP status) ride along for logs, never for the user to parse.
"""

from __future__ import annotations

from alliance.core.errors import DomainError


class PaymentGatewayError(DomainError):
    code = "PAYMENT_PROVIDER_ERROR"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        provider_code: str | None = None,
        decline_code: str | None = None,
        request_id: str | None = None,
        http_status: int | None = None,
    ):
        super().__init__(message, field=field)
        self.provider_code = provider_code
        self.decline_code = decline_code
        self.request_id = request_id
        self.http_status = http_status


class PaymentDeclined(PaymentGatewayError):
    """The customer's bank or wallet refused; they can try another method."""

    code = "PAYMENT_DECLINED"


class PaymentProviderUnavailable(PaymentGatewayError):
    """Rate limit, provider outage or network failure, after the SDK's own retries."""

    code = "PAYMENT_PROVIDER_UNAVAILABLE"


class PaymentProviderNotConfigured(PaymentGatewayError):
    """No or a wrong API key / webhook secret: an operator must fix the settings."""

    code = "PAYMENT_PROVIDER_NOT_CONFIGURED"


class PaymentRequestInvalid(PaymentGatewayError):
    """The provider refused our request as malformed: a bug on our side, logged."""

    code = "PAYMENT_REQUEST_INVALID"


class PaymentNotFound(PaymentGatewayError):
    code = "PAYMENT_NOT_FOUND"


class PaymentIdempotencyConflict(PaymentGatewayError):
    """The same idempotency key was sent earlier with different parameters."""

    code = "PAYMENT_IDEMPOTENCY_CONFLICT"


class RefundExceedsCaptured(PaymentGatewayError):
    """The provider refused a refund above what remains (callers check before asking)."""

    code = "REFUND_EXCEEDS_CAPTURED"


class InvalidPaymentAmount(PaymentGatewayError):
    code = "INVALID_AMOUNT"


class InvalidSignature(PaymentGatewayError):
    """A webhook whose signature is missing, forged, made with another secret or stale."""

    code = "INVALID_SIGNATURE"


class InvalidWebhookPayload(PaymentGatewayError):
    """Correctly signed, but not a JSON event."""

    code = "INVALID_PAYLOAD"


# Failures of our own payment bookkeeping (alliance.payments.services).


class PaymentAmountMismatch(DomainError):
    """A capture or event whose amount or currency does not match the payment."""

    code = "PAYMENT_AMOUNT_MISMATCH"


class PspReferenceMismatch(DomainError):
    code = "PSP_REFERENCE_MISMATCH"


class UnknownGateway(DomainError):
    code = "UNKNOWN_GATEWAY"
