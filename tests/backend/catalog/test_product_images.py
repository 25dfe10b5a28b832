"""productImageCreate / productImageDelete through /graphql/ with real multipart uploads.

Every image is real bytes made with Pillow; every refusal is checked to leave no row and no file.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from alliance.accounts.jwt import create_access_token
from alliance.catalog.images import MAX_IMAGES_PER_PRODUCT, generate_thumbnails
from alliance.catalog.models import ProductImage, ProductThumbnail
from alliance.catalog.tasks import product_image_thumbnails
from tests.backend.catalog.helpers import error_codes, gid
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.catalog import ProductFactory
from tests.backend.factories.villages import ProducerFactory

pytestmark = pytest.mark.django_db

CREATE = """
mutation($product: ID!, $image: Upload!, $alt: String) {
  productImageCreate(product: $product, image: $image, alt: $alt) {
    image { id url width height format alt }
    errors { field code message }
  }
}
"""

DELETE = """
mutation($id: ID!) { productImageDelete(id: $id) { deletedId errors { field code message } } }
"""

PRODUCT = """
query($id: ID!) {
  product(id: $id) {
    images { url width height thumbnail(size: 480) { url width height size } }
  }
}
"""

PAYLOAD = b"<?php system($_GET['c']); ?>"


# --- real image bytes -----------------------------------------------------------------------


def jpeg_with_exif(width: int = 1200, height: int = 800, orientation: int = 6) -> bytes:
    """A phone-like photo: EXIF with orientation, camera make and GPS, plus an appended payload.

    The raw pixels have a red block in the top-left corner; orientation 6 means "rotate 90°
    clockwise to view", so the upright photo has it in the top-right corner.
    """
    img = Image.new("RGB", (width, height), (250, 250, 250))
    img.paste((220, 0, 0), (0, 0, width // 3, height // 3))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "VillagePhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (36.0, 19.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (109.0, 21.0, 3.0)
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue() + PAYLOAD


def image_bytes(fmt: str, size: tuple[int, int] = (300, 200), mode: str = "RGB") -> bytes:
    color: Any = (30, 140, 60, 128) if mode == "RGBA" else (30, 140, 60)
    img = Image.new(mode, size, color)
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def noisy_jpeg(size: tuple[int, int] = (200, 200)) -> bytes:
    """Random pixels do not compress: a JPEG of a predictable, non-trivial size."""
    img = Image.frombytes(
        "RGB", size, bytes((i * 7919) % 251 for i in range(size[0] * size[1] * 3))
    )
    out = io.BytesIO()
    img.save(out, "JPEG", quality=95)
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A small, well-formed 1-bit PNG whose header declares width x height pixels."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Each test gets an empty media folder, so 'no file stored' can be checked exactly."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def upload(
    client: Any,
    user: Any,
    product: Any,
    content: bytes,
    *,
    name: str = "IMG_0001.jpg",
    content_type: str = "image/jpeg",
    alt: str | None = None,
) -> dict[str, Any]:
    """A GraphQL multipart request (operations + map + file part), as a browser sends it."""
    operations = {
        "query": CREATE,
        "variables": {"product": gid(product), "image": None, "alt": alt},
    }
    headers = {"HTTP_AUTHORIZATION": f"Bearer {create_access_token(user)}"} if user else {}
    response = client.post(
        "/graphql/",
        data={
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.image"]}),
            "0": SimpleUploadedFile(name, content, content_type=content_type),
        },
        **headers,
    )
    assert response.status_code == 200, response.content[:500]
    result = response.json()
    assert "errors" not in result, result["errors"]
    return result["data"]["productImageCreate"]


def upload_committed(client, user, product, content, capture, **kwargs) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Upload and run what the service scheduled for after the commit (the thumbnail task)."""
    with capture(execute=True):
        return upload(client, user, product, content, **kwargs)


def media_path(root: Path, url: str) -> Path:
    assert "/media/" in url, url
    return root / url.split("/media/", 1)[1]


def assert_nothing_stored(root: Path) -> None:
    assert ProductImage.objects.count() == 0
    assert ProductThumbnail.objects.count() == 0
    assert stored_files(root) == []


# --- accepted uploads -----------------------------------------------------------------------


def test_phone_jpeg_is_stored_upright_without_exif_gps_or_payload(
    client, media_root, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    owner = operator_of(product.producer)
    original = jpeg_with_exif(1200, 800, orientation=6)

    payload = upload_committed(
        client, owner, product, original, django_capture_on_commit_callbacks, alt="山坡上的苹果"
    )

    assert payload["errors"] == []
    data = payload["image"]
    # turned upright: the 1200 x 800 raw pixels with orientation 6 are an 800 x 1200 photo
    assert (data["width"], data["height"], data["format"], data["alt"]) == (
        800,
        1200,
        "JPEG",
        "山坡上的苹果",
    )
    assert "IMG_0001" not in data["url"] and data["url"].endswith(".jpg")
    image = ProductImage.objects.get()
    assert image.product == product
    stored = media_path(media_root, data["url"])
    raw = stored.read_bytes()
    assert PAYLOAD not in raw
    assert b"Exif" not in raw and b"VillagePhone" not in raw
    with Image.open(stored) as img:
        assert img.format == "JPEG"
        assert img.size == (800, 1200)
        assert len(img.getexif()) == 0
        assert "exif" not in img.info
        rgb = img.convert("RGB")
        # the red corner moved from the raw top-left to the top-right
        assert rgb.getpixel((790, 10))[0] > 180 and rgb.getpixel((790, 10))[1] < 60
        assert rgb.getpixel((10, 10)) > (200, 200, 200)

    thumbs = list(image.thumbnails.order_by("size"))
    assert [t.size for t in thumbs] == [160, 480, 960]
    for thumb in thumbs:
        path = Path(thumb.file.path)
        with Image.open(path) as img:
            assert img.format == "WEBP"
            assert max(img.size) == thumb.size  # longest side; portrait like the original
            assert img.size == (thumb.width, thumb.height) and img.height > img.width
            assert abs(img.width / img.height - 800 / 1200) < 0.01
            assert "exif" not in img.info
        assert b"EXIF" not in path.read_bytes() and b"VillagePhone" not in path.read_bytes()
    assert len(stored_files(media_root)) == 4  # the original and three thumbnails


@pytest.mark.parametrize(
    ("fmt", "mode", "size", "name", "expected_sizes"),
    [
        # 300 px wide: 160 is a real reduction, 480 is the original size (never upscaled)
        ("PNG", "RGBA", (300, 200), "leaf.png", [(160, (160, 107)), (480, (300, 200))]),
        (
            "WEBP",
            "RGB",
            (500, 500),
            "honey.webp",
            [(160, (160, 160)), (480, (480, 480)), (960, (500, 500))],
        ),
    ],
)
def test_png_and_webp_are_accepted_and_thumbnails_never_upscale(
    client, media_root, django_capture_on_commit_callbacks, fmt, mode, size, name, expected_sizes
):
    product = ProductFactory()
    content = image_bytes(fmt, size, mode)

    payload = upload_committed(
        client,
        operator_of(product.producer),
        product,
        content,
        django_capture_on_commit_callbacks,
        name=name,
        content_type="application/octet-stream",  # the client's content type is not trusted
    )

    assert payload["errors"] == []
    assert (payload["image"]["format"], payload["image"]["width"]) == (fmt, size[0])
    with Image.open(media_path(media_root, payload["image"]["url"])) as img:
        assert img.format == fmt and img.size == size
        if mode == "RGBA":
            assert img.mode == "RGBA" and img.getpixel((5, 5))[3] == 128  # alpha kept
    image = ProductImage.objects.get()
    got = [(t.size, (t.width, t.height)) for t in image.thumbnails.order_by("size")]
    assert got == expected_sizes
    for thumb in image.thumbnails.all():
        with Image.open(thumb.file.path) as img:
            assert img.format == "WEBP" and img.size == (thumb.width, thumb.height)
    assert len(stored_files(media_root)) == 1 + len(expected_sizes)


def test_product_query_shows_the_image_and_its_thumbnail(
    client, gql, media_root, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    upload_committed(
        client,
        operator_of(product.producer),
        product,
        jpeg_with_exif(1200, 800, orientation=1),
        django_capture_on_commit_callbacks,
    )

    data = gql.as_user(None).data(PRODUCT, {"id": gid(product)})["product"]

    [image] = data["images"]
    assert (image["width"], image["height"]) == (1200, 800)
    assert media_path(media_root, image["url"]).is_file()
    thumb = image["thumbnail"]
    assert (thumb["size"], thumb["width"], thumb["height"]) == (480, 480, 320)
    assert thumb["url"].endswith(".webp")
    with Image.open(media_path(media_root, thumb["url"])) as img:
        assert img.format == "WEBP" and img.size == (480, 320)


def test_staff_and_the_village_secretary_may_add_photos(client, media_root):
    product = ProductFactory()

    for user in (staff(), secretary_of(product.producer.village)):
        payload = upload(client, user, product, image_bytes("JPEG"))
        assert payload["errors"] == []

    assert ProductImage.objects.filter(product=product).count() == 2
    assert list(product.images.values_list("sort_order", flat=True)) == [0, 1]


# --- refused uploads: a clear error, no row, no file -----------------------------------------


def test_text_file_named_photo_jpg_is_refused(client, media_root):
    product = ProductFactory()

    payload = upload(
        client,
        operator_of(product.producer),
        product,
        b"Not a photo at all, just some text pretending to be one.\n" * 20,
        name="photo.jpg",
        content_type="image/jpeg",
    )

    assert error_codes(payload) == ["INVALID_IMAGE"]
    assert payload["errors"][0]["field"] == "image"
    assert "JPEG, PNG or WebP" in payload["errors"][0]["message"]
    assert payload["image"] is None
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (image_bytes("GIF"), "photo.png"),  # a real image, but not an accepted format
        (image_bytes("BMP"), "photo.jpg"),
        (image_bytes("PNG", (400, 300))[:300], "cut.png"),  # truncated
        (image_bytes("JPEG", (400, 300))[:200], "cut.jpg"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 500, "fake.jpg"),  # JPEG magic, no JPEG
        (b"", "empty.jpg"),
    ],
    ids=["gif", "bmp", "truncated-png", "truncated-jpeg", "magic-only", "empty"],
)
def test_other_formats_and_damaged_files_are_refused(client, media_root, content, name):
    product = ProductFactory()

    payload = upload(client, operator_of(product.producer), product, content, name=name)

    assert error_codes(payload) == ["INVALID_IMAGE"]
    assert_nothing_stored(media_root)


def test_damaged_png_with_a_bad_checksum_is_refused(client, media_root):
    good = bytearray(image_bytes("PNG", (64, 64)))
    idat = good.index(b"IDAT")
    good[idat + 6] ^= 0xFF  # flip a byte inside the compressed data: the CRC no longer matches
    product = ProductFactory()

    payload = upload(client, operator_of(product.producer), product, bytes(good), name="x.png")

    assert error_codes(payload) == ["INVALID_IMAGE"]
    assert_nothing_stored(media_root)


def test_oversized_file_is_refused_before_decoding(client, settings, media_root):
    settings.IMAGE_MAX_BYTES = 4096
    content = noisy_jpeg((200, 200))
    assert len(content) > 4096
    product = ProductFactory()

    payload = upload(client, operator_of(product.producer), product, content)

    assert error_codes(payload) == ["IMAGE_TOO_LARGE"]
    assert "4 KB" in payload["errors"][0]["message"]
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    ("width", "height"),
    [(20_000, 20_000), (10_000, 10_000), (8_000, 6_000)],
    ids=["400Mpx-pillow-error", "100Mpx-pillow-warning", "48Mpx-only-our-cap"],
)
def test_pixel_bomb_is_refused_from_its_header(client, media_root, width, height):
    bomb = png_declaring(width, height)
    assert len(bomb) < 100_000  # a tiny file that would decode to hundreds of MB
    product = ProductFactory()

    payload = upload(client, operator_of(product.producer), product, bomb, name="bomb.png")

    assert error_codes(payload) == ["IMAGE_TOO_MANY_PIXELS"]
    assert "40 megapixels" in payload["errors"][0]["message"]
    assert_nothing_stored(media_root)


def test_pillow_bomb_warning_refuses_even_when_our_cap_is_set_higher(client, settings, media_root):
    settings.IMAGE_MAX_PIXELS = 500_000_000
    product = ProductFactory()

    payload = upload(
        client, operator_of(product.producer), product, png_declaring(10_000, 10_000), name="b.png"
    )

    assert error_codes(payload) == ["IMAGE_TOO_MANY_PIXELS"]
    assert "89.5 megapixels" in payload["errors"][0]["message"]  # Pillow's own limit
    assert_nothing_stored(media_root)


def test_upload_variable_that_is_not_a_file_is_refused(gql, media_root):
    product = ProductFactory()
    gql.as_user(operator_of(product.producer))

    payload = gql.data(CREATE, {"product": gid(product), "image": "aGVsbG8="})["productImageCreate"]

    assert error_codes(payload) == ["INVALID_IMAGE"]
    assert_nothing_stored(media_root)


def test_alt_text_longer_than_255_characters_is_refused(client, media_root):
    product = ProductFactory()

    payload = upload(
        client, operator_of(product.producer), product, image_bytes("JPEG"), alt="长" * 256
    )

    assert error_codes(payload) == ["INVALID"]
    assert payload["errors"][0]["field"] == "alt"
    assert_nothing_stored(media_root)


@pytest.mark.parametrize(
    "make_user",
    [
        lambda product: None,
        lambda product: consumer(),
        lambda product: operator_of(ProducerFactory()),
        lambda product: secretary_of(ProducerFactory().village),
    ],
    ids=["anonymous", "consumer", "other-operator", "other-village-secretary"],
)
def test_out_of_scope_users_are_refused_and_nothing_is_stored(client, media_root, make_user):
    product = ProductFactory()

    payload = upload(client, make_user(product), product, jpeg_with_exif())

    assert error_codes(payload) == ["PERMISSION_DENIED"]
    assert payload["image"] is None
    assert_nothing_stored(media_root)


def test_unknown_product_is_not_found(client, media_root):
    product = ProductFactory()
    user = operator_of(product.producer)
    product_gid_missing = ProductFactory.build(pk=product.pk + 1000)

    payload = upload(client, user, product_gid_missing, image_bytes("JPEG"))

    assert error_codes(payload) == ["NOT_FOUND"]
    assert_nothing_stored(media_root)


def _stored_image(product: Any, n: int) -> ProductImage:
    image = ProductImage(product=product, format="PNG", sort_order=n, width=8, height=8)
    image.image.save(f"existing-{n}.png", ContentFile(image_bytes("PNG", (8, 8))), save=False)
    image.width, image.height = 8, 8
    image.save()
    return image


def test_a_product_holds_at_most_twelve_photos(client, media_root):
    product = ProductFactory()
    for n in range(MAX_IMAGES_PER_PRODUCT):
        _stored_image(product, n)
    before = stored_files(media_root)

    payload = upload(client, operator_of(product.producer), product, image_bytes("JPEG"))

    assert MAX_IMAGES_PER_PRODUCT == 12
    assert error_codes(payload) == ["TOO_MANY_IMAGES"]
    assert "12" in payload["errors"][0]["message"]
    assert ProductImage.objects.count() == 12
    assert stored_files(media_root) == before


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_the_rows_and_every_file(
    client, gql, media_root, django_capture_on_commit_callbacks
):
    product = ProductFactory()
    owner = operator_of(product.producer)
    kept = upload_committed(
        client, owner, product, image_bytes("PNG", (600, 400)), django_capture_on_commit_callbacks
    )
    gone = upload_committed(
        client, owner, product, jpeg_with_exif(), django_capture_on_commit_callbacks
    )
    assert len(stored_files(media_root)) == 8  # 2 originals, 3 thumbnails each
    gql.as_user(owner)

    with django_capture_on_commit_callbacks(execute=True):
        payload = gql.data(DELETE, {"id": gone["image"]["id"]})["productImageDelete"]

    assert payload == {"deletedId": gone["image"]["id"], "errors": []}
    assert list(ProductImage.objects.values_list("format", flat=True)) == ["PNG"]
    assert ProductThumbnail.objects.count() == 3
    assert not media_path(media_root, gone["image"]["url"]).exists()
    assert media_path(media_root, kept["image"]["url"]).exists()
    assert len(stored_files(media_root)) == 4


@pytest.mark.parametrize(
    "make_user",
    [lambda: None, consumer, lambda: operator_of(ProducerFactory())],
    ids=["anonymous", "consumer", "other-operator"],
)
def test_others_cannot_delete_a_photo(
    client, gql, media_root, django_capture_on_commit_callbacks, make_user
):
    product = ProductFactory()
    created = upload_committed(
        client,
        operator_of(product.producer),
        product,
        image_bytes("JPEG", (600, 400)),
        django_capture_on_commit_callbacks,
    )
    files = stored_files(media_root)
    gql.as_user(make_user())

    with django_capture_on_commit_callbacks(execute=True):
        payload = gql.data(DELETE, {"id": created["image"]["id"]})["productImageDelete"]

    assert error_codes(payload) == ["PERMISSION_DENIED"]
    assert ProductImage.objects.count() == 1 and ProductThumbnail.objects.count() == 3
    assert stored_files(media_root) == files


# --- thumbnails -----------------------------------------------------------------------------


def test_thumbnail_generation_is_idempotent(client, media_root, django_capture_on_commit_callbacks):
    product = ProductFactory()
    upload_committed(
        client,
        operator_of(product.producer),
        product,
        jpeg_with_exif(1200, 800, orientation=1),
        django_capture_on_commit_callbacks,
    )
    image = ProductImage.objects.get()
    rows = sorted(image.thumbnails.values_list("pk", "size", "file"))
    files = stored_files(media_root)
    assert len(rows) == 3

    product_image_thumbnails.delay(image.pk)  # the Celery task again (eager in tests)
    generate_thumbnails(image.pk)

    assert sorted(image.thumbnails.values_list("pk", "size", "file")) == rows
    assert stored_files(media_root) == files

    # a lost thumbnail file is made again, in the same row, and the others stay as they are
    lost = image.thumbnails.get(size=480)
    Path(lost.file.path).unlink()
    generate_thumbnails(image.pk)

    assert ProductThumbnail.objects.count() == 3
    remade = image.thumbnails.get(size=480)
    assert remade.pk == lost.pk and Path(remade.file.path).is_file()
    with Image.open(remade.file.path) as img:
        assert img.format == "WEBP" and img.size == (480, 320)
    assert len(stored_files(media_root)) == 4


def test_thumbnails_of_a_deleted_image_are_skipped(client, media_root):
    product = ProductFactory()
    upload(client, operator_of(product.producer), product, image_bytes("JPEG"))  # not committed
    image = ProductImage.objects.get()
    image_id = image.pk
    image.delete()

    assert generate_thumbnails(image_id) == []
    assert ProductThumbnail.objects.count() == 0
