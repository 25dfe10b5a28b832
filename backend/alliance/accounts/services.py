"""Account writes: registration and JWT sign-in, refresh and verification.

Sign-in is rate-limited before the password is checked (an Argon2 check costs hundreds of
milliseconds and ~100 MiB), per e-mail and per client address, with counters in Django's
cache (Redis in production, LocMem in the zero-setup default). Every call counts, so aliases
in one GraphQL request count one by one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.accounts.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    InvalidToken,
    PasswordInvalid,
    TooManyAttempts,
)
from alliance.accounts.jwt import (
    ACCESS,
    REFRESH,
    create_access_token,
    create_refresh_token,
    decode_token,
)
from alliance.accounts.models import Role, User
from alliance.core.errors import DomainError, ValidationFailed

EMAIL_MAX_LENGTH = 254
FULL_NAME_MAX_LENGTH = 128
# Argon2 pre-hashes long inputs, but nothing legitimate needs more than this.
PASSWORD_MAX_LENGTH = 256

# Defaults; each can be overridden in settings (read at call time, never at import time).
DEFAULT_MAX_ATTEMPTS_PER_EMAIL = 10
DEFAULT_MAX_ATTEMPTS_PER_IP = 30  # several people may share one address (a village's NAT)
DEFAULT_ATTEMPT_WINDOW_SECONDS = 5 * 60


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_email(email: str, errors: list[DomainError]) -> None:
    if not email:
        errors.append(InvalidEmail("An e-mail address is required.", field="email"))
        return
    if len(email) > EMAIL_MAX_LENGTH:
        errors.append(InvalidEmail("This e-mail address is too long.", field="email"))
        return
    try:
        validate_email(email)
    except ValidationError:
        errors.append(InvalidEmail("Enter a valid e-mail address.", field="email"))
        return
    if User.objects.filter(email__iexact=email).exists():
        errors.append(EmailTaken("This e-mail address cannot be registered.", field="email"))


def _check_password(password: str, candidate: User, errors: list[DomainError]) -> None:
    if len(password) > PASSWORD_MAX_LENGTH:
        errors.append(
            PasswordInvalid(
                f"The password may have at most {PASSWORD_MAX_LENGTH} characters.",
                code="PASSWORD_TOO_LONG",
                field="password",
            )
        )
        return
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        for error in exc.error_list:
            reason = (error.code or "").upper()
            code = reason if reason.startswith("PASSWORD_") else PasswordInvalid.code
            message = " ".join(str(m) for m in error.messages)
            errors.append(PasswordInvalid(message, code=code, field="password"))


@transaction.atomic
def account_register(*, email: str, password: str, full_name: str = "") -> User:
    """Create a consumer account. The role is never taken from input."""
    email = normalize_email(email)
    full_name = (full_name or "").strip()
    password = password or ""
    errors: list[DomainError] = []
    _check_email(email, errors)
    if len(full_name) > FULL_NAME_MAX_LENGTH:
        errors.append(
            DomainError(
                f"The name may have at most {FULL_NAME_MAX_LENGTH} characters.",
                code="INVALID",
                field="fullName",
            )
        )
    user = User(email=email, full_name=full_name, role=Role.CONSUMER)
    _check_password(password, user, errors)
    if errors:
        raise ValidationFailed(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # registered concurrently between the check and the insert
        raise ValidationFailed(
            [EmailTaken("This e-mail address cannot be registered.", field="email")]
        ) from None
    return user


def _count_attempt(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt in a fixed window; True when the limit is exceeded."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # the window expired between add() and incr()
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _check_sign_in_rate(email: str, client_ip: str | None) -> None:
    window = getattr(settings, "TOKEN_CREATE_WINDOW_SECONDS", DEFAULT_ATTEMPT_WINDOW_SECONDS)
    per_email = getattr(
        settings, "TOKEN_CREATE_MAX_ATTEMPTS_PER_EMAIL", DEFAULT_MAX_ATTEMPTS_PER_EMAIL
    )
    per_ip = getattr(settings, "TOKEN_CREATE_MAX_ATTEMPTS_PER_IP", DEFAULT_MAX_ATTEMPTS_PER_IP)
    refused = _count_attempt(
        f"accounts:token-create:email:{_digest(email)}",
        limit=per_email,
        window=window,
    )
    if client_ip:
        refused |= _count_attempt(
            f"accounts:token-create:ip:{_digest(client_ip)}",
            limit=per_ip,
            window=window,
        )
    if refused:
        raise TooManyAttempts("Too many sign-in attempts. Try again in a few minutes.")


def token_create(
    *, email: str, password: str, client_ip: str | None = None
) -> tuple[str, str, User]:
    """Sign in: (access token, refresh token, user).

    Unknown e-mail, wrong password and inactive account raise the same InvalidCredentials,
    and each costs one password hash, so neither the answer nor its timing tells them apart.
    """
    email = normalize_email(email)
    password = password or ""
    _check_sign_in_rate(email, client_ip)
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None:
        User().set_password(password)  # the same hashing work as a real check
        valid = False
    else:
        valid = user.check_password(password) and user.is_active
    if user is None or not valid:
        raise InvalidCredentials("The e-mail address or password is incorrect.")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    return create_access_token(user), create_refresh_token(user), user


def token_refresh(*, refresh_token: str) -> tuple[str, User]:
    """A new access token for a valid refresh token (an access token is refused)."""
    try:
        _, user = decode_token(refresh_token or "", expected_type=REFRESH)
    except InvalidToken as exc:
        raise InvalidToken(exc.message, field="refreshToken") from None
    return create_access_token(user), user


# Claims a client may see; `pwd` (a fragment of the password hash) is never shown.
PUBLIC_CLAIMS = ("type", "email", "role", "iat", "exp")


def token_verify(*, token: str) -> tuple[dict[str, Any], User]:
    """Check an access token: its public claims and its user, or InvalidToken."""
    payload, user = decode_token(token or "", expected_type=ACCESS)
    return {k: payload[k] for k in PUBLIC_CLAIMS if k in payload}, user
