"""JWT access and refresh tokens (HS256, signed with SECRET_KEY)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from alliance.accounts.models import User
from alliance.core.errors import DomainError

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"


class InvalidToken(DomainError):
    code = "INVALID_TOKEN"


def _encode(user: User, token_type: str, ttl_seconds: int) -> str:
    now = timezone.now()
    payload = {
        "sub": str(user.pk),
        "email": user.email,
        "role": user.role,
        "type": token_type,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
        # Changing the password invalidates every token issued before (the hash changes).
        "pwd": user.password[-12:],
    }
    return jwt.encode(payload, settings.SECRET_KEY, algorithm=ALGORITHM)


def create_access_token(user: User) -> str:
    return _encode(user, ACCESS, settings.JWT_ACCESS_TTL_SECONDS)


def create_refresh_token(user: User) -> str:
    return _encode(user, REFRESH, settings.JWT_REFRESH_TTL_SECONDS)


def decode_token(token: str, *, expected_type: str) -> tuple[dict[str, Any], User]:
    """Verify signature, expiry and type, and that the user still exists and is active."""
    try:
        payload = jwt.decode(token, settings.SECRET_KEY, algorithms=[ALGORITHM])
    except jwt.ExpiredSignatureError:
        raise InvalidToken("The token has expired.", field="token") from None
    except jwt.PyJWTError:
        raise InvalidToken("The token is invalid.", field="token") from None
    if payload.get("type") != expected_type:
        raise InvalidToken(f"This is not a token of type {expected_type!r}.", field="token")
    try:
        user = User.objects.get(pk=int(payload["sub"]), is_active=True)
    except (User.DoesNotExist, KeyError, ValueError):
        raise InvalidToken("The token's user is unknown or inactive.", field="token") from None
    if payload.get("pwd") != user.password[-12:]:
        raise InvalidToken("The token was revoked by a password change.", field="token")
    return payload, user


def user_from_authorization_header(header: str | None) -> User | AnonymousUser:
    if not header:
        return AnonymousUser()
    scheme, _, token = header.partition(" ")
    if scheme.lower() not in {"bearer", "jwt"} or not token:
        return AnonymousUser()
    try:
        _, user = decode_token(token.strip(), expected_type=ACCESS)
    except InvalidToken:
        return AnonymousUser()
    return user
