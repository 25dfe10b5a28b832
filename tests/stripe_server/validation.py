"""Request parameters checked against the installed SDK's own `stripe.params` TypedDicts.

Stripe's API refuses unknown parameters, missing required ones and values outside an enum
with a 400; the generated TypedDicts of the pinned SDK (e.g. `PaymentIntentCreateParams`)
describe exactly the parameters that API version accepts, with nesting, required keys and
`Literal` values. This module walks a decoded form body against one of them and returns the
first problem as a Stripe-shaped error (`code`, `param`, `message`), or None.

Form bodies arrive as `a[b][0]=x` pairs (the SDK's encoding); `decode_form` turns them back
into nested dicts and lists of strings. Scalars are therefore strings here: `int` accepts an
integer literal, `bool` accepts `true`/`false`.

One deliberate strictness: the SDK types enums as `Literal[...] | str` (so that values added
to the API later do not break old clients); the API itself accepts only the listed values,
so such a union is checked as the closed `Literal`.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from dataclasses import dataclass
from typing import Any, ForwardRef
from urllib.parse import parse_qsl

import typing_extensions
from stripe._request_options import RequestOptions

# Client-side options of the SDK (api_key, idempotency_key, ...): TypedDict keys that are
# never sent as form parameters.
REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)

_KEY_PART = re.compile(r"\[([^\]]*)\]")


@dataclass(frozen=True)
class ParamError:
    param: str
    message: str
    code: str | None


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """`[("a[b][0]", "x")]` -> `{"a": {"b": ["x"]}}`; dicts with only 0..n keys become lists."""
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        parts = [head, *_KEY_PART.findall("[" + rest)] if rest else [head]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ValueError(f"conflicting parameter {raw_key}")
        node[parts[-1]] = value
    return _lists(root)


def decode_query(query: str) -> dict[str, Any]:
    return decode_form(parse_qsl(query, keep_blank_values=True))


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _lists(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        indexes = sorted(int(k) for k in converted)
        if indexes == list(range(len(indexes))):
            return [converted[str(i)] for i in indexes]
    return converted


def validate(params: dict[str, Any], schema: type) -> ParamError | None:
    """First problem of `params` against a `stripe.params` TypedDict, or None."""
    return _check_typed_dict(params, schema, prefix="", skip=REQUEST_OPTION_KEYS)


def _name(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _is_typed_dict(tp: Any) -> bool:
    return isinstance(tp, type) and typing_extensions.is_typeddict(tp)


def _check_typed_dict(
    value: Any, schema: type, *, prefix: str, skip: frozenset[str] = frozenset()
) -> ParamError | None:
    if not isinstance(value, dict):
        return ParamError(prefix, f"Invalid object: {prefix} must be a hash.", "parameter_invalid")
    annotations = {k: v for k, v in schema.__annotations__.items() if k not in skip}
    required = set(schema.__required_keys__) - skip  # type: ignore[attr-defined]
    for key in value:
        if key not in annotations:
            return ParamError(
                _name(prefix, key),
                f"Received unknown parameter: {_name(prefix, key)}",
                "parameter_unknown",
            )
    missing = sorted(required - set(value))
    if missing:
        name = _name(prefix, missing[0])
        return ParamError(name, f"Missing required param: {name}.", "parameter_missing")
    module_globals = vars(sys.modules[schema.__module__])
    for key, item in value.items():
        error = _check(item, annotations[key], _name(prefix, key), module_globals)
        if error is not None:
            return error
    return None


def _resolve(tp: Any, module_globals: dict[str, Any]) -> Any:
    if isinstance(tp, str):
        tp = ForwardRef(tp)
    if isinstance(tp, ForwardRef):
        return eval(tp.__forward_arg__, module_globals)  # the SDK's own annotation strings
    return tp


def _check(value: Any, tp: Any, name: str, module_globals: dict[str, Any]) -> ParamError | None:
    tp = _resolve(tp, module_globals)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing_extensions.NotRequired, typing_extensions.Required):
        return _check(value, args[0], name, module_globals)
    if origin in (typing.Union, types.UnionType):
        arms = [_resolve(arm, module_globals) for arm in args]
        if str in arms and any(typing.get_origin(a) is typing.Literal for a in arms):
            # The SDK types enums as `Literal[...] | str` only so that newer API values do
            # not break old clients; the API itself accepts the listed values only.
            arms = [a for a in arms if a is not str]
        errors = [_check(value, arm, name, module_globals) for arm in arms]
        if any(e is None for e in errors):
            return None
        # Report the most specific failure: prefer one from inside a nested hash.
        nested = [e for e in errors if e is not None and e.param != name]
        return nested[0] if nested else errors[0]
    if origin is typing.Literal:
        allowed = [str(a).lower() if isinstance(a, bool) else str(a) for a in args]
        if value in allowed:
            return None
        shown = ", ".join(a for a in allowed if a) or "''"
        return ParamError(name, f"Invalid {name}: must be one of {shown}", "parameter_invalid")
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's annotations use typing.List
        if not isinstance(value, list):
            return ParamError(name, f"Invalid array: {name} must be an array.", "parameter_invalid")
        for index, item in enumerate(value):
            error = _check(item, args[0], f"{name}[{index}]", module_globals)
            if error is not None:
                return error
        return None
    if origin in (dict, typing.Dict):  # noqa: UP006
        if not isinstance(value, dict):
            return ParamError(name, f"Invalid hash: {name} must be a hash.", "parameter_invalid")
        for key, item in value.items():
            error = _check(item, args[1], _name(name, key), module_globals)
            if error is not None:
                return error
        return None
    if _is_typed_dict(tp):
        return _check_typed_dict(value, tp, prefix=name)
    if origin is not None and getattr(origin, "__name__", "") == "UntypedStripeObject":
        return None if isinstance(value, dict) else _check(value, dict[str, Any], name, {})
    if tp is int:
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return None
        return ParamError(name, f"Invalid integer: {value!r}", "parameter_invalid_integer")
    if tp is float:
        if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
            return None
        return ParamError(name, f"Invalid decimal: {value!r}", "parameter_invalid")
    if tp is bool:
        if value in ("true", "false"):
            return None
        return ParamError(name, f"Invalid boolean: {value!r}", "parameter_invalid")
    if tp is str:
        if isinstance(value, str):
            return None
        return ParamError(name, f"Invalid string: {name} must be a string.", "parameter_invalid")
    if tp is type(None):
        return ParamError(name, f"Invalid {name}: null is not accepted", "parameter_invalid")
    return None  # Any and other open types
