"""Writing the planned demo county to the database: idempotent, in bulk, demo rows only.

Every run plans the same county (fixed seed) and inserts only what is missing, looked up by
natural keys: towns and villages by division code, producers by (village, name), products by
their variants' SKUs (DEMO-0001-1, ...), photos by "this demo product has none", logins by
e-mail, stock history by "this demo variant has no lot" (alliance.core.demo.inventory), the
sales history by "there is no demo order" and its settlement by "no demo village has a
statement" (alliance.core.demo.history). So a second run inserts nothing, and a run after a
partial deletion fills the gaps.
Rows that already exist and are not demo data (a real town with the same code, a real account
with a demo e-mail address) are used or left alone, never changed.

The database work is one transaction under an advisory lock (two runs at once queue up).
Thumbnails are made after it commits, one image at a time, by the catalog's own
`generate_thumbnails`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from tqdm import tqdm

from alliance.accounts.models import User
from alliance.catalog.models import (
    Category,
    Channel,
    Product,
    ProductImage,
    ProductThumbnail,
    ProductVariant,
    VariantChannelPrice,
)
from alliance.core.demo.county import CountyPlan, plan_county
from alliance.core.demo.history import (
    demo_history_totals,
    ensure_demo_history,
    history_reset,
    history_reset_blockers,
    settle_demo_history,
)
from alliance.core.demo.inventory import (
    demo_inventory_totals,
    ensure_demo_inventory,
    inventory_reset,
    inventory_reset_blockers,
)
from alliance.core.demo.logins import ensure_demo_logins
from alliance.core.demo.photos import HEIGHT, WIDTH, product_photo
from alliance.core.demo.products import ProductPlan, plan_products
from alliance.core.errors import DomainError
from alliance.inventory.warehouses import warehouses_ensure_for_villages
from alliance.search.backends import vector_expression
from alliance.villages.models import Producer, Town, Village

SEED = 610627
_LOCK_KEY = 610627_0001  # pg_advisory_xact_lock key of the demo loader
BATCH = 500


class DemoResetRefused(DomainError):
    code = "DEMO_RESET_REFUSED"


@dataclass
class DemoResult:
    created: dict[str, int] = field(default_factory=dict)  # rows inserted by this run
    totals: dict[str, int] = field(default_factory=dict)  # demo rows present afterwards
    deleted: dict[str, int] = field(default_factory=dict)  # rows removed by --reset
    notes: list[str] = field(default_factory=list)  # what was left alone, and why
    seconds: float = 0.0


def _count(result: DemoResult, key: str, n: int) -> None:
    result.created[key] = result.created.get(key, 0) + n


# --- towns, villages, producers -------------------------------------------------------------


def _ensure_towns(county: CountyPlan, result: DemoResult) -> dict[str, Town]:
    codes = [t.code for t in county.towns]
    towns = {t.code: t for t in Town.objects.filter(code__in=codes)}
    new = [
        Town(code=t.code, name=t.name, name_en=t.name_en, is_demo=True)
        for t in county.towns
        if t.code not in towns
    ]
    Town.objects.bulk_create(new)
    towns.update({t.code: t for t in new})
    _count(result, "towns", len(new))
    return towns


def _ensure_villages(
    county: CountyPlan, towns: dict[str, Town], result: DemoResult
) -> dict[str, Village]:
    codes = [v.code for v in county.villages]
    villages = {v.code: v for v in Village.objects.filter(code__in=codes)}
    new = [
        Village(
            code=v.code,
            name=v.name,
            town=towns[v.town_code],
            kind=v.kind,
            story=v.story,
            is_demo=True,
        )
        for v in county.villages
        if v.code not in villages
    ]
    Village.objects.bulk_create(new)
    villages.update({v.code: v for v in new})
    _count(result, "villages", len(new))
    return villages


def _ensure_producers(
    county: CountyPlan, villages: dict[str, Village], result: DemoResult
) -> dict[tuple[str, str], Producer]:
    village_ids = {v.pk: code for code, v in villages.items()}
    producers = {
        (village_ids[p.village_id], p.name): p
        for p in Producer.objects.filter(village_id__in=village_ids)
    }
    new = [
        Producer(
            name=p.name,
            kind=p.kind,
            village=villages[p.village_code],
            description=p.description,
            is_demo=True,
        )
        for p in county.producers
        if (p.village_code, p.name) not in producers
    ]
    Producer.objects.bulk_create(new, batch_size=BATCH)
    producers.update({(village_ids[p.village_id], p.name): p for p in new})
    _count(result, "cooperatives", sum(p.kind == Producer.Kind.COOPERATIVE for p in new))
    _count(result, "enterprises", sum(p.kind == Producer.Kind.ENTERPRISE for p in new))
    return producers


# --- products, variants, prices, search -------------------------------------------------------


def _categories(plans: list[ProductPlan]) -> dict[str, Category]:
    slugs = {p.category_slug for p in plans}
    categories = {c.slug: c for c in Category.objects.filter(slug__in=slugs)}
    missing = sorted(slugs - categories.keys())
    if missing:
        raise DomainError(
            f"The category tree is incomplete (missing {', '.join(missing)}): "
            "run `manage.py migrate` first.",
            code="DEMO_NO_CATEGORIES",
        )
    return categories


def _channels() -> tuple[Channel, Channel]:
    channels = {c.slug: c for c in Channel.objects.filter(slug__in=[Channel.ONLINE, Channel.BASE])}
    if len(channels) != 2:
        raise DomainError(
            "The `online` and `base` channels are missing: run `manage.py migrate` first.",
            code="DEMO_NO_CHANNELS",
        )
    return channels[Channel.ONLINE], channels[Channel.BASE]


def _ensure_products(
    plans: list[ProductPlan],
    producers: dict[tuple[str, str], Producer],
    result: DemoResult,
) -> dict[int, int]:
    """Insert missing products, variants and prices; returns plan number -> product id."""
    categories = _categories(plans)
    online, base = _channels()
    skus = [v.sku for p in plans for v in p.variants]
    taken: dict[str, tuple[int, bool]] = {
        sku: (product_id, is_demo)
        for sku, product_id, is_demo in ProductVariant.objects.filter(sku__in=skus).values_list(
            "sku", "product_id", "product__is_demo"
        )
    }
    real_skus = {sku for sku, (_, is_demo) in taken.items() if not is_demo}
    if real_skus:
        result.notes.append(
            f"{len(real_skus)} demo SKUs are used by real products; those variants were skipped."
        )

    now = timezone.now()
    product_ids: dict[int, int] = {}
    new_products: list[tuple[ProductPlan, Product]] = []
    for plan in plans:
        existing = next(
            (taken[v.sku][0] for v in plan.variants if v.sku in taken and v.sku not in real_skus),
            None,
        )
        if existing is not None:
            product_ids[plan.number] = existing
            continue
        if all(v.sku in real_skus for v in plan.variants):
            continue
        producer = producers[(plan.producer.village_code, plan.producer.name)]
        new_products.append(
            (
                plan,
                Product(
                    producer=producer,
                    category=categories[plan.category_slug],
                    name=plan.name,
                    description=plan.description,
                    origin=plan.origin,
                    status=Product.Status.PUBLISHED if plan.published else Product.Status.DRAFT,
                    tracks_lots=plan.tracks_lots,
                    published_at=(
                        now - timedelta(days=plan.published_days_ago) if plan.published else None
                    ),
                    is_demo=True,
                ),
            )
        )
    Product.objects.bulk_create([p for _, p in new_products], batch_size=BATCH)
    for plan, product in new_products:
        product_ids[plan.number] = product.pk
    _count(result, "products", len(new_products))

    variants: list[ProductVariant] = []
    prices: list[VariantChannelPrice] = []
    for plan in plans:
        if plan.number not in product_ids:
            continue
        for order, v in enumerate(plan.variants):
            if v.sku in taken:
                continue
            variant = ProductVariant(
                product_id=product_ids[plan.number],
                sku=v.sku,
                unit_label=v.unit_label,
                weight_g=v.weight_g,
                sold_by=v.sold_by,
                sort_order=order,
            )
            variants.append(variant)
            prices.append(
                VariantChannelPrice(variant=variant, channel=online, price=v.online_price)
            )
            prices.append(VariantChannelPrice(variant=variant, channel=base, price=v.base_price))
    ProductVariant.objects.bulk_create(variants, batch_size=BATCH)
    VariantChannelPrice.objects.bulk_create(prices, batch_size=BATCH)
    _count(result, "variants", len(variants))
    _count(result, "prices", len(prices))
    return product_ids


def _index_products(product_ids: Iterable[int]) -> int:
    """Write search vectors where missing, one UPDATE per batch (alliance.search's lexemes)."""
    todo = list(
        Product.objects.filter(pk__in=list(product_ids), search_vector__isnull=True).only(
            "pk", "name"
        )
    )
    for product in todo:
        product.search_vector = vector_expression(product.name)  # type: ignore[assignment]
    Product.objects.bulk_update(todo, ["search_vector"], batch_size=BATCH)
    return len(todo)


# --- photos -----------------------------------------------------------------------------------


def _ensure_photos(
    plans: list[ProductPlan], product_ids: dict[int, int], bar: tqdm[Any], written: list[str]
) -> list[ProductImage]:
    """One generated JPEG for every demo product that has no photo yet."""
    have = set(
        ProductImage.objects.filter(product_id__in=product_ids.values())
        .values_list("product_id", flat=True)
        .distinct()
    )
    todo = [p for p in plans if p.number in product_ids and product_ids[p.number] not in have]
    bar.total += len(todo)
    bar.set_description("photos")
    images: list[ProductImage] = []
    for plan in todo:
        data = product_photo(plan.top_category, plan.variants[0].sku)
        images.append(
            ProductImage(
                product_id=product_ids[plan.number],
                image=ContentFile(data, name=f"demo-{plan.number:04d}.jpg"),
                width=WIDTH,
                height=HEIGHT,
                format="JPEG",
                alt=plan.name,
            )
        )
        bar.update()
    try:
        # The storage writes each file while the rows are inserted (FileField.pre_save).
        ProductImage.objects.bulk_create(images, batch_size=100)
    finally:
        written.extend(i.image.name for i in images if i.image and i.image._committed)
    return images


def _make_thumbnails(bar: tqdm[Any], result: DemoResult, limit: int | None) -> None:
    try:
        from alliance.catalog.images import generate_thumbnails
    except ImportError:
        result.notes.append(
            "Thumbnails skipped: alliance.catalog.images.generate_thumbnails is missing."
        )
        return
    ids = list(
        ProductImage.objects.filter(product__is_demo=True, thumbnails__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    bar.total += len(ids)
    bar.set_description("thumbnails")
    made = 0
    for image_id in ids:
        made += len(generate_thumbnails(image_id))
        bar.update()
    _count(result, "thumbnails", made)


# --- the two entry points ---------------------------------------------------------------------


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _totals() -> dict[str, int]:
    return {
        "towns": Town.objects.filter(is_demo=True).count(),
        "villages": Village.objects.filter(is_demo=True).count(),
        "cooperatives": Producer.objects.filter(is_demo=True, kind="cooperative").count(),
        "enterprises": Producer.objects.filter(is_demo=True, kind="enterprise").count(),
        "products": Product.objects.filter(is_demo=True).count(),
        "variants": ProductVariant.objects.filter(product__is_demo=True).count(),
        "photos": ProductImage.objects.filter(product__is_demo=True).count(),
        "thumbnails": ProductThumbnail.objects.filter(image__product__is_demo=True).count(),
        "logins": User.objects.filter(is_demo=True).count(),
        **demo_inventory_totals(),
        **demo_history_totals(),
    }


def load_demo_county(
    *,
    reset: bool = False,
    photos: bool = True,
    thumbnails: bool = True,
    thumbnail_limit: int | None = None,
    show_progress: bool = True,
    history: bool = True,
    history_scale: float = 1.0,
) -> DemoResult:
    """Build (or complete) the demo county. Safe to run again: nothing is duplicated.

    With `reset`, every demo row is deleted first, in the same transaction: if the reset is
    refused (DemoResetRefused) or the build fails, the database is left as it was.

    `thumbnail_limit` caps how many demo photos get their thumbnails in this run (the
    others get them on a later run); thumbnails are the slow part (~40 ms a photo).

    `history`: a year of sales, refunds and losses, settled month by month
    (alliance.core.demo.history; `history_scale` shrinks it, for tests).
    """
    started = time.perf_counter()
    result = DemoResult()
    county = plan_county(SEED)
    plans = plan_products(county, SEED)
    written: list[str] = []
    with tqdm(total=9, file=sys.stderr, disable=not show_progress, unit="step") as bar:
        try:
            with transaction.atomic():
                _lock()
                if reset:
                    bar.set_description("reset")
                    result.deleted = reset_demo_data()
                bar.set_description("towns and villages")
                towns = _ensure_towns(county, result)
                villages = _ensure_villages(county, towns, result)
                _count(result, "warehouses", warehouses_ensure_for_villages(villages.values()))
                bar.update()
                bar.set_description("producers")
                producers = _ensure_producers(county, villages, result)
                bar.update()
                bar.set_description("products")
                product_ids = _ensure_products(plans, producers, result)
                bar.update()
                bar.set_description("search index")
                _count(result, "indexed", _index_products(product_ids.values()))
                bar.update()
                if photos:
                    new_images = _ensure_photos(plans, product_ids, bar, written)
                    _count(result, "photos", len(new_images))
                bar.set_description("logins")
                ensure_demo_logins(county, villages, producers, result)
                bar.update()
                # After the logins: the demo staff account is the actor of the history.
                bar.set_description("stock")
                ensure_demo_inventory(result)
                bar.update()
                if history:  # after the stock: sales come from harvests of their own
                    bar.set_description("sales history")
                    ensure_demo_history(result, scale=history_scale)
                bar.update()
        except BaseException:
            _delete_files(written)  # the rows are rolled back; their files go too
            raise
        if history:  # after the commit: each settlement service commits on its own
            bar.set_description("settlement")
            settle_demo_history(result)
        bar.update()
        if photos and thumbnails:
            _make_thumbnails(bar, result, thumbnail_limit)
        bar.set_description("done")
        bar.update()
    result.totals = _totals()
    result.seconds = time.perf_counter() - started
    return result


def _delete_files(names: list[str]) -> None:
    from alliance.catalog.images import delete_stored_files

    delete_stored_files(names)


def _reset_blockers() -> list[str]:
    """Real rows that hang on demo rows: deleting the demo rows would delete or orphan them."""
    checks = [
        (
            Product.objects.filter(is_demo=False, producer__is_demo=True).count(),
            "real products belong to demo producers",
        ),
        (
            Producer.objects.filter(is_demo=False, village__is_demo=True).count(),
            "real producers belong to demo villages",
        ),
        (
            Village.objects.filter(is_demo=False, town__is_demo=True).count(),
            "real villages belong to demo towns",
        ),
        (
            User.objects.filter(is_demo=False, village__is_demo=True).count(),
            "real accounts are first secretaries of demo villages",
        ),
        (
            User.objects.filter(is_demo=False, producers__is_demo=True).distinct().count(),
            "real accounts operate demo producers",
        ),
    ]
    return (
        [f"{n} {what}" for n, what in checks if n]
        + history_reset_blockers()
        + inventory_reset_blockers()
    )


def reset_demo_data() -> dict[str, int]:
    """Delete every row marked is_demo (and the demo photos' files); real rows stay.

    Inventory rows have no flag: those of demo products' variants go, with the collection
    points of demo villages.

    Refuses, changing nothing, when real rows depend on demo rows (DemoResetRefused).
    Returns the number of rows deleted per kind.
    """
    with transaction.atomic():
        _lock()
        blockers = _reset_blockers()
        if blockers:
            raise DemoResetRefused(
                "The demo data cannot be removed without touching real data: "
                + "; ".join(blockers)
                + ". Move or delete those rows first."
            )
        images = ProductImage.objects.filter(product__is_demo=True).prefetch_related("thumbnails")
        files = [
            n for i in images for n in (i.image.name, *(t.file.name for t in i.thumbnails.all()))
        ]
        deleted: dict[str, int] = {}
        # Fresh statistics first: rows loaded in this same transaction (a test's, say) are
        # invisible to autovacuum, and with "empty table" estimates PostgreSQL plans the
        # deletes below as nested loops over every ledger row for every ledger row
        # (measured: a reset of a 1 % history ran for minutes instead of a second).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        try:
            # Orders first (their lines name demo lots and collection points), then the
            # stock: the ledger names demo villages' collection points, lots of demo
            # producers and the demo staff account as actor.
            deleted.update(history_reset())
            deleted.update(inventory_reset())
            for key, queryset in (
                ("logins", User.objects.filter(is_demo=True)),
                ("products", Product.objects.filter(is_demo=True)),
                ("producers", Producer.objects.filter(is_demo=True)),
                ("villages", Village.objects.filter(is_demo=True)),
                ("towns", Town.objects.filter(is_demo=True)),
            ):
                deleted[key] = queryset.count()
                queryset.delete()
        except (ProtectedError, RestrictedError) as exc:
            blocking = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            kinds = sorted({str(type(o)._meta.verbose_name_plural) for o in blocking})
            raise DemoResetRefused(
                "The demo data cannot be removed: other rows still refer to it ("
                + ", ".join(kinds)
                + ")."
            ) from None
        transaction.on_commit(lambda: _delete_files(files))
    return deleted
