"""Upload validation, re-encoding and thumbnails with Pillow (filled in by the images work)."""

from __future__ import annotations

from alliance.catalog.models import ProductImage


def delete_image_files(image: ProductImage) -> None:
    for thumb in image.thumbnails.all():
        thumb.file.delete(save=False)
    image.image.delete(save=False)
