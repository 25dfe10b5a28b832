"""A Chinese shipping address: province, city, district, street, recipient, phone."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from alliance.checkout.errors import AddressInvalid, AddressRequired, InvalidPhone
from alliance.core.errors import DomainError, ValidationFailed

# Mainland mobile: 11 digits starting 13-19.
MOBILE_RE = re.compile(r"1[3-9]\d{9}")
# Landline: area code 0 + 2-3 digits, a 7-8 digit number, optional extension
# (010-12345678, 0911-1234567, 0911 1234567-12, 091112345678).
LANDLINE_RE = re.compile(r"0\d{2,3}[- ]?\d{7,8}(?:-\d{1,6})?")
MAX_LENGTHS = {
    "province": 32,
    "city": 32,
    "district": 32,
    "street": 200,
    "recipient": 64,
    "phone": 20,
}


@dataclass(frozen=True)
class ShippingAddress:
    province: str
    city: str
    district: str
    street: str
    recipient: str
    phone: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _normalise_phone(phone: str) -> str:
    """Drop a +86 / 0086 prefix and spaces inside a mobile number."""
    phone = phone.strip()
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :].strip(" -")
    compact = phone.replace(" ", "").replace("-", "")
    if MOBILE_RE.fullmatch(compact):
        return compact
    return phone


def address_clean(data: dict[str, Any]) -> ShippingAddress:
    """Validate every field, report all problems at once (ValidationFailed), strip spaces."""
    errors: list[DomainError] = []
    values: dict[str, str] = {}
    for name, limit in MAX_LENGTHS.items():
        raw = data.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            errors.append(AddressRequired(f"The {name} is required.", field=name))
        elif len(value) > limit:
            errors.append(
                AddressInvalid(f"The {name} is longer than {limit} characters.", field=name)
            )
        values[name] = value
    if values["phone"]:
        phone = _normalise_phone(values["phone"])
        if not (MOBILE_RE.fullmatch(phone) or LANDLINE_RE.fullmatch(phone)):
            errors.append(
                InvalidPhone(
                    "The phone must be a mainland mobile number (11 digits, 13x-19x) "
                    "or a landline with its area code (e.g. 0911-1234567).",
                    field="phone",
                )
            )
        values["phone"] = phone
    if errors:
        raise ValidationFailed(errors)
    return ShippingAddress(**values)
