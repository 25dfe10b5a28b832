from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from alliance.core.money import from_fen, quantize, to_fen
from alliance.core.weight import grams_to_kg, grams_to_tonnes


def test_demo_mode_without_debug_fails_the_system_check():
    with override_settings(DEMO_MODE=True, DEBUG=False):
        ids = [e.id for e in run_checks()]
    assert "alliance.E001" in ids
    with override_settings(DEMO_MODE=True, DEBUG=True):
        assert "alliance.E001" not in [e.id for e in run_checks()]


def test_money_rounds_half_up_once_and_converts_to_fen():
    assert quantize(Decimal("2.345")) == Decimal("2.35")
    assert quantize(Decimal("2.344")) == Decimal("2.34")
    assert to_fen(Decimal("123.45")) == 12345
    assert from_fen(12345) == Decimal("123.45")
    with pytest.raises(TypeError):
        quantize(1.5)  # type: ignore[arg-type]


def test_weights_are_exact_decimals():
    assert grams_to_kg(1_408_000_000) == Decimal("1408000.000")
    assert grams_to_tonnes(1_408_000_000) == Decimal("1408.000000")
    assert grams_to_kg(1) == Decimal("0.001")
