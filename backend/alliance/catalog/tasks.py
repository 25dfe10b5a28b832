"""Background work of the catalog (Celery; in-process when REDIS_URL is unset)."""

from __future__ import annotations

from celery import shared_task

from alliance.catalog.images import generate_thumbnails


@shared_task(ignore_result=True)
def product_image_thumbnails(image_id: int) -> int:
    """Make the WebP thumbnails of one product image; safe to run more than once."""
    return len(generate_thumbnails(image_id))
