"""Who may read the reports, and what part of them.

- alliance staff: everything;
- a first secretary: their village only (forced, whatever they ask for);
- anyone else (operators, consumers, anonymous users): nothing: PermissionDenied.
allianceTotals is public and does not come here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alliance.accounts.models import Role
from alliance.core.errors import PermissionDenied


@dataclass(frozen=True)
class ReportScope:
    village_id: int | None  # None: the whole alliance
    village_name: str = ""

    @property
    def is_alliance(self) -> bool:
        return self.village_id is None


def report_scope(actor: Any, what: str = "Reports") -> ReportScope:
    signed_in = bool(getattr(actor, "is_authenticated", False) and actor.is_active)
    if signed_in and actor.role == Role.STAFF:
        return ReportScope(village_id=None)
    if signed_in and actor.role == Role.SECRETARY and actor.village_id is not None:
        return ReportScope(village_id=actor.village_id, village_name=actor.village.name)
    raise PermissionDenied(f"{what} are for alliance staff and first secretaries.")
