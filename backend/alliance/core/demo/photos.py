"""Generated product photos: a colour gradient and a simple shape per top category.

No text is drawn (no font needed). Each picture is 640 x 480, a small JPEG, and the same
product always gets the same picture (seeded by its SKU).
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 480
JPEG_QUALITY = 80

RGB = tuple[int, int, int]
# (background top, background bottom, shape colour) per top category.
PALETTES: dict[str, tuple[RGB, RGB, RGB]] = {
    "honey": ((255, 236, 170), (222, 150, 30), (190, 110, 10)),
    "fruit": ((250, 240, 225), (205, 225, 170), (200, 40, 40)),
    "grains": ((250, 245, 220), (215, 190, 120), (230, 170, 40)),
    "fungi": ((235, 230, 220), (150, 120, 95), (120, 75, 45)),
    "vegetables": ((235, 250, 225), (120, 185, 90), (50, 130, 50)),
}


def _jitter(rng: random.Random, colour: RGB, amount: int = 18) -> RGB:
    r, g, b = (min(255, max(0, c + rng.randint(-amount, amount))) for c in colour)
    return (r, g, b)


def _background(top: RGB, bottom: RGB) -> Image.Image:
    mask = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    return Image.composite(
        Image.new("RGB", (WIDTH, HEIGHT), bottom), Image.new("RGB", (WIDTH, HEIGHT), top), mask
    )


def _honey(draw: ImageDraw.ImageDraw, rng: random.Random, colour: RGB) -> None:
    radius = rng.randint(48, 64)
    cx0, cy0 = rng.randint(170, 250), rng.randint(150, 210)
    for row in range(3):
        for col in range(3 - row % 2):
            cx = cx0 + col * radius * 1.75 + (row % 2) * radius * 0.87
            cy = cy0 + row * radius * 1.5
            draw.regular_polygon((cx, cy, radius), 6, rotation=30, fill=_jitter(rng, colour, 25))


def _fruit(draw: ImageDraw.ImageDraw, rng: random.Random, colour: RGB) -> None:
    r = rng.randint(110, 150)
    cx, cy = rng.randint(260, 380), rng.randint(220, 270)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=_jitter(rng, colour, 30))
    draw.rectangle((cx - 5, cy - r - 40, cx + 5, cy - r + 10), fill=(100, 70, 40))
    draw.ellipse((cx + 5, cy - r - 45, cx + 75, cy - r - 5), fill=(70, 150, 60))


def _grains(draw: ImageDraw.ImageDraw, rng: random.Random, colour: RGB) -> None:
    for _ in range(140):
        x, y = rng.randint(120, 520), rng.randint(140, 420)
        draw.ellipse((x - 9, y - 6, x + 9, y + 6), fill=_jitter(rng, colour, 30))


def _fungi(draw: ImageDraw.ImageDraw, rng: random.Random, colour: RGB) -> None:
    cx, base = rng.randint(250, 390), rng.randint(380, 420)
    r = rng.randint(120, 150)
    draw.rounded_rectangle((cx - 32, base - 170, cx + 32, base), radius=18, fill=(240, 230, 210))
    draw.pieslice((cx - r, base - 170 - r, cx + r, base - 170 + r), 180, 360, fill=colour)


def _vegetables(draw: ImageDraw.ImageDraw, rng: random.Random, colour: RGB) -> None:
    cx, cy = rng.randint(280, 360), rng.randint(230, 270)
    for angle in (-40, 0, 40):
        dx = angle * 3
        draw.polygon(
            [(cx, cy + 170), (cx + dx - 70, cy - 40), (cx + dx, cy - 170), (cx + dx + 70, cy - 40)],
            fill=_jitter(rng, colour, 25),
        )


SHAPES: dict[str, Callable[[ImageDraw.ImageDraw, random.Random, RGB], None]] = {
    "honey": _honey,
    "fruit": _fruit,
    "grains": _grains,
    "fungi": _fungi,
    "vegetables": _vegetables,
}


def product_photo(top_category: str, seed: str) -> bytes:
    """JPEG bytes of a 640 x 480 picture for a product of `top_category`."""
    rng = random.Random(seed)
    top, bottom, shape = PALETTES[top_category]
    image = _background(_jitter(rng, top), _jitter(rng, bottom))
    SHAPES[top_category](ImageDraw.Draw(image), rng, _jitter(rng, shape))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
