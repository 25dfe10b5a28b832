"""Reading what the demo history builds on (published demo variants priced in both
channels, collection points, the inventory's transfers and default lots) and planning it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from alliance.accounts.models import User
from alliance.catalog.models import Channel, Product, ProductVariant, VariantChannelPrice
from alliance.core.demo.history.data import DEMO_CONSUMER_EMAIL
from alliance.core.demo.history.model import HistoryPlan, Variant
from alliance.core.demo.history.orders import OrderPlanner
from alliance.core.demo.history.supply import Supplier
from alliance.core.demo.products import TOP_OF
from alliance.core.errors import DomainError
from alliance.inventory.models import Lot, Transfer, Warehouse


def _load_variants(base_id: int) -> tuple[list[Variant], dict[int, str]]:
    """Published demo variants priced in both channels, with their collection points."""

    def price(slug: str) -> Subquery:
        return Subquery(
            VariantChannelPrice.objects.filter(
                variant_id=OuterRef("pk"), channel__slug=slug, is_available=True
            ).values("price")[:1]
        )

    points = dict(Warehouse.objects.filter(village__is_demo=True).values_list("village_id", "pk"))
    rows = (
        ProductVariant.objects.filter(
            product__is_demo=True, product__status=Product.Status.PUBLISHED
        )
        .annotate(online=price(Channel.ONLINE), base=price(Channel.BASE))
        .filter(online__isnull=False, base__isnull=False)
        .values_list(
            "pk",
            "sku",
            "product_id",
            "product__name",
            "unit_label",
            "weight_g",
            "sold_by",
            "online",
            "base",
            "product__producer_id",
            "product__producer__name",
            "product__producer__village_id",
            "product__producer__village__name",
            "product__category_id",
            "product__category__slug",
            "product__tracks_lots",
            "product__published_at",
        )
        .order_by("sku")
    )
    variants = [
        Variant(*row[:17], point_id=points[row[11]])
        for row in rows
        if row[11] in points and row[16] is not None and row[14] in TOP_OF
    ]
    codes = dict(Warehouse.objects.filter(pk__in=points.values()).values_list("pk", "code"))
    return variants, codes


def _existing_transfers(
    points: Iterable[int],
) -> dict[tuple[int, date], tuple[int, datetime, datetime | None]]:
    found: dict[tuple[int, date], tuple[int, datetime, datetime | None]] = {}
    rows = Transfer.objects.filter(source_id__in=list(points)).order_by("pk")
    for pk, source, dispatched, received in rows.values_list(
        "pk", "source_id", "dispatched_at", "received_at"
    ):
        found.setdefault((source, timezone.localdate(dispatched)), (pk, dispatched, received))
    return found


def plan_demo_history(*, scale: float = 1.0, now: datetime | None = None) -> HistoryPlan | None:
    """The history for the demo county as it stands (None: nothing to sell), not written."""
    base = Warehouse.objects.filter(kind=Warehouse.Kind.BASE).first()
    if base is None:
        raise DomainError(
            "The alliance base warehouse is missing: run `manage.py migrate` first.",
            code="DEMO_NO_BASE",
        )
    variants, points = _load_variants(base.pk)
    if not variants:
        return None
    consumer = User.objects.filter(email=DEMO_CONSUMER_EMAIL, is_demo=True).first()
    default_lots = dict(
        Lot.objects.filter(variant_id__in=[v.id for v in variants], is_default=True).values_list(
            "variant_id", "pk"
        )
    )
    now = now or timezone.now()
    plan = OrderPlanner(
        variants,
        base_id=base.pk,
        consumer_id=consumer.pk if consumer else None,
        scale=scale,
        now=now,
    ).build()
    return Supplier(
        plan,
        now=now,
        base_id=base.pk,
        points=points,
        existing_transfers=_existing_transfers(points),
        default_lots=default_lots,
    ).build()
