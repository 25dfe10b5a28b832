"""The demo logins, password `alliance-demo`, created only by the demo command (is_demo=True).

staff@example.com (alliance staff), secretary@example.com (first secretary of 闫家沟村, or of
the next demo village without one), operator@example.com (operator of that village's first
demo cooperative) and consumer@example.com. An address already used by a real account is
left alone and reported; the password is hashed by Django's configured hasher (Argon2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alliance.accounts.models import Role, User
from alliance.villages.models import Producer, Village

if TYPE_CHECKING:
    from alliance.core.demo.county import CountyPlan
    from alliance.core.demo.loader import DemoResult

DEMO_PASSWORD = "alliance-demo"
SECRETARY_VILLAGE = "闫家沟村"  # 下寺湾镇; the next free village is taken if it has a secretary


def ensure_demo_logins(
    county: CountyPlan,
    villages: dict[str, Village],
    producers: dict[tuple[str, str], Producer],
    result: DemoResult,
) -> None:
    emails = [f"{who}@example.com" for who in ("staff", "secretary", "operator", "consumer")]
    existing = {u.email: u for u in User.objects.filter(email__in=emails)}
    for email, user in existing.items():
        if not user.is_demo:
            result.notes.append(f"{email} belongs to a real account and was left alone.")

    def create(email: str, **fields: Any) -> User | None:
        if email in existing:
            return existing[email] if existing[email].is_demo else None
        result.created["logins"] = result.created.get("logins", 0) + 1
        user = User.objects.create_user(email, DEMO_PASSWORD, is_demo=True, **fields)
        existing[email] = user
        return user

    create("staff@example.com", role=Role.STAFF, full_name="联盟工作人员（演示）")
    create("consumer@example.com", role=Role.CONSUMER, full_name="顾客（演示）")

    secretary = existing.get("secretary@example.com")
    if secretary is None:
        taken = set(
            User.objects.filter(role=Role.SECRETARY, village__isnull=False).values_list(
                "village_id", flat=True
            )
        )
        preferred = sorted(county.villages, key=lambda v: v.name != SECRETARY_VILLAGE)
        village = next(
            (villages[v.code] for v in preferred if villages[v.code].pk not in taken), None
        )
        if village is None:
            result.notes.append("Every demo village has a first secretary: no demo secretary.")
        else:
            secretary = create(
                "secretary@example.com",
                role=Role.SECRETARY,
                village=village,
                full_name="第一书记（演示）",
            )
    operator = existing.get("operator@example.com")
    if operator is None and secretary is not None and secretary.is_demo:
        # The first demo cooperative of the secretary's village (every village has one).
        cooperative = next(
            producers[(p.village_code, p.name)]
            for p in county.producers
            if p.kind == Producer.Kind.COOPERATIVE
            and villages[p.village_code].pk == secretary.village_id
        )
        operator = create(
            "operator@example.com", role=Role.OPERATOR, full_name="合作社操作员（演示）"
        )
        if operator is not None:
            operator.producers.set([cooperative])
