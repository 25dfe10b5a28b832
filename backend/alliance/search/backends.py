"""The search-backend interface and its PostgreSQL implementation (the default).

An Elasticsearch implementation (ELASTICSEARCH_URL) comes later behind the same interface.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL

from alliance.search.tokens import document_lexemes, query_lexemes, tsquery_literal


class SearchBackend(Protocol):
    def index_products(self, product_ids: Iterable[int]) -> None: ...

    def filter_products(self, queryset: QuerySet[Any], query: str) -> QuerySet[Any]: ...


class PostgresSearchBackend:
    """Products.search_vector holds the name's unigrams + bigrams (GIN-indexed)."""

    def index_products(self, product_ids: Iterable[int]) -> None:
        from alliance.catalog.models import Product

        ids = list(product_ids)
        for product in Product.objects.filter(pk__in=ids).only("pk", "name"):
            Product.objects.filter(pk=product.pk).update(
                search_vector=vector_expression(product.name)
            )

    def filter_products(self, queryset: QuerySet[Any], query: str) -> QuerySet[Any]:
        query = query.strip()
        lexemes = query_lexemes(query)
        if not lexemes:
            return queryset
        table = queryset.model._meta.db_table
        matches = RawSQL(
            f'"{table}"."search_vector" @@ %s::tsquery',
            [tsquery_literal(lexemes)],
            output_field=BooleanField(),
        )
        return queryset.alias(_search_match=matches).filter(
            _search_match=True, name__icontains=query
        )


def vector_expression(name: str) -> RawSQL:
    """`array_to_tsvector` takes the lexemes verbatim (no parser, no stemming, any locale)."""
    return RawSQL("array_to_tsvector(%s::text[])", [document_lexemes(name)])


def get_backend() -> SearchBackend:
    return PostgresSearchBackend()
