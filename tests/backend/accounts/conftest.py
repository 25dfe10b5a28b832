import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limit_counters():
    """Sign-in counters live in the cache, which outlives a test's database transaction."""
    cache.clear()
    yield
    cache.clear()
