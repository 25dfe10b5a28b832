"""Product photos: upload validation by content, re-encoding without metadata, WebP thumbnails.

An upload is trusted for nothing: not its name, not its content type. It is read up to the byte
limit, its format is sniffed from the first bytes (JPEG, PNG, WebP only), its declared pixel count
is checked from the header before anything is decoded, Pillow verifies it, then it is decoded,
turned upright (EXIF orientation) and encoded again. Only the re-encoded image is stored, so EXIF
(GPS included), comments and anything appended after the image data are gone.
"""

from __future__ import annotations

import io
import logging
import uuid
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from PIL import Image, ImageOps, UnidentifiedImageError

from alliance.catalog.errors import (
    CatalogError,
    ImageTooLarge,
    ImageTooManyPixels,
    InvalidImage,
    TooManyImages,
)
from alliance.catalog.models import ProductImage, ProductThumbnail
from alliance.core.errors import NotFound

logger = logging.getLogger(__name__)

MAX_IMAGES_PER_PRODUCT = 12
MAX_ALT_LENGTH = 255
MAX_ICC_PROFILE_BYTES = 64 * 1024  # colour profiles are a few KiB; a bigger one is not kept
JPEG_QUALITY = 85
WEBP_QUALITY = 85
THUMBNAIL_QUALITY = 80

_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
_MiB = 1024 * 1024


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image, ready to be stored."""

    content: bytes
    format: str  # JPEG, PNG or WEBP: the format it came in and is stored in
    width: int
    height: int

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self.format]


# --- validation ---------------------------------------------------------------------------


def _human_bytes(n: int) -> str:
    if n >= _MiB:
        return f"{n / _MiB:.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _megapixels(n: int) -> str:
    return f"{n / 1_000_000:.1f}".removesuffix(".0")


def _invalid(detail: str = "") -> InvalidImage:
    return InvalidImage(
        "这不是可用的图片，请上传 JPEG、PNG 或 WebP 格式的照片。"
        "This file is not a photo we can use: please upload a JPEG, PNG or WebP image."
        + (f" ({detail})" if detail else ""),
        field="image",
    )


def _too_large(size: int | None, limit: int) -> ImageTooLarge:
    shown = f"（{_human_bytes(size)}）" if size else ""
    shown_en = f" ({_human_bytes(size)})" if size else ""
    return ImageTooLarge(
        f"图片太大{shown}，上限 {_human_bytes(limit)}，请选一张小一些的照片。"
        f"The photo is too large{shown_en}; the limit is {_human_bytes(limit)}. "
        "Please choose a smaller photo.",
        field="image",
    )


def _too_many_pixels(width: int | None, height: int | None, limit: int) -> ImageTooManyPixels:
    if width and height:
        size = f"{width} × {height}（{_megapixels(width * height)} 百万像素）"
        size_en = f" {width} × {height} pixels ({_megapixels(width * height)} megapixels)"
    else:
        size, size_en = "", ""
    return ImageTooManyPixels(
        f"图片像素太多{size}，上限 {_megapixels(limit)} 百万像素，请缩小后再上传。"
        f"The photo has too many pixels:{size_en or ' more than the limit'}; "
        f"the limit is {_megapixels(limit)} megapixels. Please resize it and upload it again.",
        field="image",
    )


def sniff_format(head: bytes) -> str | None:
    """The format the leading bytes announce: JPEG, PNG, WEBP, or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _read_limited(upload: Any, limit: int) -> bytes:
    """At most `limit` bytes of the upload; refuses larger files without reading them whole."""
    if not hasattr(upload, "read"):
        raise InvalidImage(
            "没有收到图片文件。No image file was received: send it as a multipart upload.",
            field="image",
        )
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise _too_large(size, limit)
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if not isinstance(data, bytes):
        raise _invalid()
    if len(data) > limit:
        raise _too_large(size if isinstance(size, int) else None, limit)
    if not data:
        raise _invalid("the file is empty")
    return data


def _open(data: bytes, fmt: str) -> Image.Image:
    """Open (header only) with Pillow's bomb guard turned into an error; no other format."""
    with warnings.catch_warnings():
        # Pillow only warns between ~89 and ~179 Mpx; a warning here is a refusal. (The filter
        # is process-wide while it is set; our own lower cap below does not depend on it.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data), formats=[fmt])
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            limit = min(settings.IMAGE_MAX_PIXELS, Image.MAX_IMAGE_PIXELS or 0)
            raise _too_many_pixels(None, None, limit) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise _invalid() from None


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    limit = settings.IMAGE_MAX_PIXELS
    if width <= 0 or height <= 0:
        raise _invalid("it has no pixels")
    if width * height > limit:
        raise _too_many_pixels(width, height, limit)


def _normalised_mode(image: Image.Image, fmt: str) -> Image.Image:
    """A mode the target encoder writes faithfully."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if fmt == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if fmt == "WEBP":
        wanted = "RGBA" if has_alpha else "RGB"
        return image if image.mode == wanted else image.convert(wanted)
    # PNG keeps palette, grey and 16-bit images as they are.
    if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
        return image
    return image.convert("RGBA" if has_alpha else "RGB")


def _encode(image: Image.Image, fmt: str, *, icc_profile: bytes | None, **options: Any) -> bytes:
    """Encode with nothing carried over but the pixels, palette transparency and colour profile."""
    transparency = image.info.get("transparency")
    image.info = {}  # no EXIF, XMP, comments or text chunks reach the encoder
    if transparency is not None and image.mode in ("P", "L", "RGB") and fmt == "PNG":
        options["transparency"] = transparency
    if icc_profile:
        options["icc_profile"] = icc_profile
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def _icc_profile(image: Image.Image) -> bytes | None:
    icc = image.info.get("icc_profile")
    if isinstance(icc, bytes) and 0 < len(icc) <= MAX_ICC_PROFILE_BYTES:
        return icc
    return None


def clean_upload(upload: Any) -> CleanImage:
    """Validate an uploaded file by its content and return it re-encoded, or raise.

    Raises ImageTooLarge, ImageTooManyPixels or InvalidImage (all CatalogError, field "image").
    Nothing is written anywhere.
    """
    data = _read_limited(upload, settings.IMAGE_MAX_BYTES)
    fmt = sniff_format(data[:16])
    if fmt is None:
        raise _invalid()

    probe = _open(data, fmt)
    if probe.format != fmt:
        raise _invalid()
    _check_pixels(probe)  # the declared size, before any pixel is decoded
    try:
        probe.verify()
    except Exception:  # verify() raises a variety of errors on corrupt data
        raise _invalid("the file is damaged") from None

    image = _open(data, fmt)  # verify() leaves the image unusable: open it again
    _check_pixels(image)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            icc_profile = _icc_profile(image)
            upright = ImageOps.exif_transpose(image)  # phone photos stand the right way up
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise _too_many_pixels(*image.size, settings.IMAGE_MAX_PIXELS) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _invalid("the file is damaged or truncated") from None

    upright = _normalised_mode(upright, fmt)
    if fmt == "JPEG":
        content = _encode(
            upright, "JPEG", icc_profile=icc_profile, quality=JPEG_QUALITY, optimize=True
        )
    elif fmt == "PNG":
        content = _encode(upright, "PNG", icc_profile=icc_profile)
    else:
        content = _encode(upright, "WEBP", icc_profile=icc_profile, quality=WEBP_QUALITY)
    return CleanImage(content=content, format=fmt, width=upright.width, height=upright.height)


# --- services -----------------------------------------------------------------------------


def _check_alt(alt: str | None) -> str:
    alt = (alt or "").strip()
    if len(alt) > MAX_ALT_LENGTH:
        raise CatalogError(
            f"图片说明不能超过 {MAX_ALT_LENGTH} 个字。"
            f"The image description is longer than {MAX_ALT_LENGTH} characters.",
            field="alt",
        )
    return alt


@transaction.atomic
def product_image_create(
    *, actor: Any, product_id: int, upload: Any, alt: str = ""
) -> ProductImage:
    """Add a photo to a product the actor manages; thumbnails are made after commit.

    Refusals (permission, cap, invalid file) raise before anything is written.
    """
    from alliance.catalog.services import _lock_product

    product = _lock_product(actor, product_id)  # locked: the per-product cap holds under races
    alt = _check_alt(alt)
    count = product.images.count()
    if count >= MAX_IMAGES_PER_PRODUCT:
        raise TooManyImages(
            f"每个产品最多 {MAX_IMAGES_PER_PRODUCT} 张照片，请先删除一张。"
            f"A product can have at most {MAX_IMAGES_PER_PRODUCT} photos; "
            "delete one before adding another.",
            field="image",
        )
    clean = clean_upload(upload)

    last = product.images.aggregate(last=Max("sort_order"))["last"]
    image = ProductImage(
        product=product,
        format=clean.format,
        alt=alt,
        sort_order=0 if last is None else last + 1,
    )
    # The stored name is ours, never the client's file name.
    image.image.save(f"{uuid.uuid4().hex}.{clean.extension}", ContentFile(clean.content), False)
    # Django re-reads dimensions from the just-saved content and can get None: set them here.
    image.width, image.height = clean.width, clean.height
    try:
        image.save()
    except BaseException:
        default_storage.delete(image.image.name)
        raise

    from alliance.catalog.tasks import product_image_thumbnails

    # robust: the photo is stored either way; a broker outage only delays the thumbnails
    # (generate_thumbnails can be run again at any time), it does not fail the request.
    transaction.on_commit(lambda: product_image_thumbnails.delay(image.pk), robust=True)
    return image


@transaction.atomic
def product_image_delete(*, actor: Any, image_id: int) -> None:
    """Delete a photo and its thumbnails; the files go once the deletion is committed."""
    from alliance.catalog.services import _lock_product

    product_id = ProductImage.objects.filter(pk=image_id).values_list("product_id", flat=True)
    found = product_id.first()
    if found is None:
        raise NotFound("Image not found.", field="id")
    _lock_product(actor, found)
    # Lock the image too: a thumbnail run in progress finishes first, so its files are seen.
    image = ProductImage.objects.select_for_update().filter(pk=image_id).first()
    if image is None:  # deleted by someone else while we waited
        raise NotFound("Image not found.", field="id")
    names = [image.image.name, *(t.file.name for t in image.thumbnails.all())]
    image.delete()
    transaction.on_commit(lambda: delete_stored_files(names))


def delete_stored_files(names: Iterable[str]) -> None:
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except OSError:  # a file already gone or unreachable storage must not break a request
            logger.warning("Could not delete stored file %s", name, exc_info=True)


def delete_image_files(image: ProductImage) -> None:
    for thumb in image.thumbnails.all():
        thumb.file.delete(save=False)
    image.image.delete(save=False)


# --- thumbnails ---------------------------------------------------------------------------


def thumbnail_sizes(width: int, height: int) -> list[int]:
    """The configured sizes worth making for an image: never an upscaled copy.

    Every size smaller than the image's longest side, plus the first size that is not (made at
    the image's own size), so that any requested size has the best rendition there is.
    """
    longest = max(width, height)
    sizes: list[int] = []
    for size in sorted(set(settings.IMAGE_THUMBNAIL_SIZES)):
        sizes.append(size)
        if size >= longest:
            break
    return sizes


def _render_thumbnail(
    source: Image.Image, size: int, icc_profile: bytes | None
) -> tuple[bytes, int, int]:
    thumb = source.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)  # keeps the ratio, never upscales
    content = _encode(
        _normalised_mode(thumb, "WEBP"),
        "WEBP",
        icc_profile=icc_profile,
        quality=THUMBNAIL_QUALITY,
        method=4,
    )
    return content, thumb.width, thumb.height


def generate_thumbnails(image_id: int) -> list[ProductThumbnail]:
    """Make the missing WebP thumbnails of one image. Running it again changes nothing.

    The image row is locked for the run, so concurrent runs (a retried task) do not race; an
    image deleted in the meantime is skipped. Thumbnails of sizes no longer configured go.
    """
    written: list[str] = []
    stale_files: list[str] = []
    try:
        with transaction.atomic():
            image = ProductImage.objects.select_for_update().filter(pk=image_id).first()
            if image is None:
                return []
            existing = {t.size: t for t in image.thumbnails.all()}
            wanted = thumbnail_sizes(image.width, image.height)
            for size, thumb in existing.items():
                if size not in wanted:
                    stale_files.append(thumb.file.name)
                    thumb.delete()
            missing = [
                s
                for s in wanted
                if s not in existing or not default_storage.exists(existing[s].file.name)
            ]
            if missing:
                with default_storage.open(image.image.name, "rb") as fh:
                    source = Image.open(io.BytesIO(fh.read()))
                    _check_pixels(source)
                    source.load()
                icc_profile = _icc_profile(source)
                source = _normalised_mode(source, "WEBP")
                for size in sorted(missing, reverse=True):
                    content, width, height = _render_thumbnail(source, size, icc_profile)
                    thumb = existing.get(size) or ProductThumbnail(image=image, size=size)
                    if thumb.file.name:
                        stale_files.append(thumb.file.name)
                    name = f"{image.product_id}/{image.pk}-{size}-{uuid.uuid4().hex[:8]}.webp"
                    thumb.file.save(name, ContentFile(content), save=False)
                    written.append(thumb.file.name)
                    thumb.width, thumb.height = width, height
                    thumb.save()
                    existing[size] = thumb
            result = [existing[s] for s in wanted]
    except BaseException:
        delete_stored_files(written)
        raise
    delete_stored_files(stale_files)
    return result
