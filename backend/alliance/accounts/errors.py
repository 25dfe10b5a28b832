"""Account failures with stable codes; the GraphQL layer turns them into `errors`."""

from __future__ import annotations

from alliance.accounts.jwt import InvalidToken
from alliance.core.errors import DomainError

__all__ = [
    "AccountError",
    "EmailTaken",
    "InvalidCredentials",
    "InvalidEmail",
    "InvalidToken",
    "PasswordInvalid",
    "TooManyAttempts",
]


class AccountError(DomainError):
    code = "INVALID"


class InvalidEmail(AccountError):
    code = "INVALID_EMAIL"


class EmailTaken(AccountError):
    code = "EMAIL_TAKEN"


class PasswordInvalid(AccountError):
    """A password refused by a validator; `code` names the validator's reason."""

    code = "PASSWORD_TOO_WEAK"


class InvalidCredentials(AccountError):
    """Unknown e-mail, wrong password and inactive account all look exactly like this."""

    code = "INVALID_CREDENTIALS"


class TooManyAttempts(AccountError):
    code = "TOO_MANY_ATTEMPTS"
