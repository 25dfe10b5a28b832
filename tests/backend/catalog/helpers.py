from graphql_relay import to_global_id


def gid(obj) -> str:  # type: ignore[no-untyped-def]
    return to_global_id(
        {
            "Product": "Product",
            "ProductVariant": "ProductVariant",
            "Producer": "Producer",
            "Category": "Category",
            "Village": "Village",
            "ProductImage": "ProductImage",
        }[type(obj).__name__],
        obj.pk,
    )


def error_codes(payload) -> list[str]:  # type: ignore[no-untyped-def]
    return [e["code"] for e in payload["errors"]]
