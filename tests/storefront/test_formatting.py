"""Pure helpers of the storefront: money, weight, dates, srcset, divisions, cache keys."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

STOREFRONT = Path(__file__).resolve().parents[2] / "storefront"
if str(STOREFRONT) not in sys.path:
    sys.path.insert(0, str(STOREFRONT))

from api.client import cache_key  # noqa: E402
from shop import divisions, formatting  # noqa: E402
from shop.session import _token_expiry  # noqa: E402


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"amount": "12.5"}, "¥12.50"),
        ("0", "¥0.00"),
        ("1234.005", "¥1,234.01"),  # half up, once
        ("-3.2", "-¥3.20"),
        (None, ""),
        ({"amount": None}, ""),
        ("not money", ""),
    ],
)
def test_format_money(value: object, expected: str) -> None:
    assert formatting.format_money(value) == expected


@pytest.mark.parametrize(
    ("grams", "language", "expected"),
    [
        (500, "zh-hans", "500 克"),
        (2500, "zh-hans", "2.5 公斤"),
        (1000, "zh-hans", "1 公斤"),
        (500, "en", "500 g"),
        (2500, "en", "2.5 kg"),
        (12345, "en", "12.345 kg"),
        ({"grams": 250}, "zh-hans", "250 克"),
        (None, "en", ""),
    ],
)
def test_format_weight(grams: object, language: str, expected: str) -> None:
    assert formatting.format_weight(grams, language) == expected


def test_datetimes_are_shown_in_shanghai() -> None:
    # 16:30 UTC is 00:30 the next day in Shanghai
    assert formatting.format_datetime("2026-11-29T16:30:00+00:00") == "2026年11月30日 00:30"
    assert formatting.format_datetime("2026-11-29T16:30:00+00:00", "en") == "30 Nov 2026, 00:30"
    assert formatting.format_datetime("nonsense") == ""
    assert formatting.format_datetime(None) == ""


def test_dates() -> None:
    assert formatting.format_date("2026-04-07") == "2026年4月7日"
    assert formatting.format_date("2026-04-07", "en") == "7 Apr 2026"
    assert formatting.format_date("") == ""


def test_srcset_is_sorted_by_width_and_skips_empty() -> None:
    thumbs = [
        {"size": 480, "width": 480, "url": "/b.webp"},
        {"size": 160, "width": 160, "url": "/a.webp"},
        {"size": 960, "width": 0, "url": ""},
    ]
    assert formatting.srcset(thumbs) == "/a.webp 160w, /b.webp 480w"
    assert formatting.srcset(None) == ""


def test_divisions_come_from_the_gb2260_dataset() -> None:
    provinces = dict(divisions.provinces())
    assert provinces["610000"] == "陕西省"
    assert "710000" not in provinces  # not a mainland delivery address
    assert ("610600", "延安市") in divisions.cities("610000")
    assert ("610627", "甘泉县") in divisions.districts("610600")
    # municipalities: the city level is the municipality itself
    assert divisions.cities("110000") == [("110000", "北京市")]
    assert ("110105", "朝阳区") in divisions.districts("110000")
    # county-level cities directly under a province
    assert ("429000", divisions.DIRECT_CITY_NAME) in divisions.cities("420000")
    assert ("429004", "仙桃市") in divisions.districts("429000")
    # a city without districts is its own district
    assert divisions.districts("441900") == [("441900", "东莞市")]
    assert all(divisions.cities(code) for code in provinces)


def test_cache_key_depends_on_language_and_every_variable() -> None:
    a = cache_key("product_list", {"first": 24, "filter": {"search": "蜂蜜"}}, "zh-hans")
    assert a == cache_key("product_list", {"filter": {"search": "蜂蜜"}, "first": 24}, "zh-hans")
    assert a != cache_key("product_list", {"first": 24, "filter": {"search": "蜂蜜"}}, "en")
    assert a != cache_key("product_list", {"first": 24, "filter": {"search": "小米"}}, "zh-hans")
    assert a != cache_key("home", {"first": 24, "filter": {"search": "蜂蜜"}}, "zh-hans")


def test_token_expiry_is_read_from_the_jwt_payload() -> None:
    # header.payload.signature with payload {"exp": 1900000000}
    token = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOiAxOTAwMDAwMDAwfQ.c2ln"
    assert _token_expiry(token) == 1900000000
    assert _token_expiry("not-a-jwt") == 0
