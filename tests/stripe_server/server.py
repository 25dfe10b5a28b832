"""A local Stripe API server for the test suite: the real `stripe` SDK talks HTTP to it.

What it does, in the order a request meets it:
1. auth: `Authorization: Bearer <api_key>` must carry the server's key (401 otherwise);
2. routing: the endpoints below; anything else is a 404 like Stripe's "Unrecognized URL";
3. injected failures (`fail_next`): the next N requests answer 500, 429 or a 402
   card_declined before anything runs (so, as with a failure before Stripe starts
   executing, nothing is stored under the idempotency key and a retry runs for real);
4. validation of every parameter against the installed SDK's `stripe.params` TypedDict for
   that endpoint (validation.py): unknown/missing/ill-typed/out-of-enum -> 400;
5. idempotency (POST): a repeated `Idempotency-Key` replays the stored status and body
   (header `Idempotent-Replayed: true`); the same key with other parameters or another
   endpoint -> 400 `idempotency_error`;
6. the endpoint, on objects kept in memory and built from Stripe's fixtures (fixtures.py).

Endpoints: POST /v1/payment_intents, GET|POST /v1/payment_intents/{id}, POST /v1/refunds,
GET /v1/refunds/{id}, GET /v1/charges/{id}, GET /v1/balance_transactions (created[gte|gt|
lt|lte], type, limit, starting_after, expand[]=data.source; newest first, like Stripe).

Payments are completed from the test side with `succeed_payment_intent` (what a customer
confirming in Stripe.js would cause): it creates the charge and its balance transaction.
Every request is recorded in `requests` so that tests can assert what reached "Stripe".
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe.params as sp

from tests.stripe_server import fixtures
from tests.stripe_server.validation import ParamError, decode_form, decode_query, validate

ILLUSTRATIVE_FEE_PERCENT = 3  # fee on charges, so that net != amount in reconciliation tests


class StripeApiError(Exception):
    """An error answer: HTTP status plus Stripe's `{"error": {...}}` body."""

    def __init__(self, status: int, error_type: str, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": error_type, "message": message, **extra}}
        self.headers: dict[str, str] = {}


def _invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeApiError:
    return StripeApiError(400, "invalid_request_error", message, param=param, code=code)


def _missing(kind: str, object_id: str, param: str) -> StripeApiError:
    return StripeApiError(
        404,
        "invalid_request_error",
        f"No such {kind}: '{object_id}'",
        param=param,
        code="resource_missing",
    )


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict[str, Any]
    idempotency_key: str | None
    status: int
    replayed: bool = False
    injected: bool = False


@dataclass
class _Stored:
    method: str
    path: str
    params: dict[str, Any]
    status: int
    body: dict[str, Any]


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    schema: type
    handler: Callable[..., dict[str, Any]]


@dataclass
class StripeServer:
    api_key: str = "sk_test_local_stripe_server"
    url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    payment_intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    balance_transactions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._failures: list[StripeApiError] = []
        self._idempotency: dict[str, _Stored] = {}
        self._injected_now: list[StripeApiError] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = [
            _Route(
                "POST",
                re.compile(r"/v1/payment_intents"),
                sp.PaymentIntentCreateParams,
                self._payment_intent_create,
            ),
            _Route(
                "GET",
                re.compile(r"/v1/payment_intents/(?P<pk>[^/]+)"),
                sp.PaymentIntentRetrieveParams,
                self._payment_intent_retrieve,
            ),
            _Route(
                "POST",
                re.compile(r"/v1/payment_intents/(?P<pk>[^/]+)"),
                sp.PaymentIntentUpdateParams,
                self._payment_intent_update,
            ),
            _Route("POST", re.compile(r"/v1/refunds"), sp.RefundCreateParams, self._refund_create),
            _Route(
                "GET",
                re.compile(r"/v1/refunds/(?P<pk>[^/]+)"),
                sp.RefundRetrieveParams,
                self._refund_retrieve,
            ),
            _Route(
                "GET",
                re.compile(r"/v1/charges/(?P<pk>[^/]+)"),
                sp.ChargeRetrieveParams,
                self._charge_retrieve,
            ),
            _Route(
                "GET",
                re.compile(r"/v1/balance_transactions"),
                sp.BalanceTransactionListParams,
                self._balance_transaction_list,
            ),
        ]

    # --- life cycle -----------------------------------------------------------------------

    def start(self) -> StripeServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.stripe = self  # type: ignore[attr-defined]
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    # --- test controls --------------------------------------------------------------------

    def fail_next(self, count: int = 1, *, status: int = 500, should_retry: bool | None = None):
        """The next `count` requests fail with `status`: 500, 429 or 402 (card declined).

        `should_retry` sets Stripe's `Stripe-Should-Retry` header (Stripe sends `true` on a
        429 lock_timeout); without the header the SDK retries 409 and 5xx only.
        """
        for _ in range(count):
            if status == 500:
                error = StripeApiError(500, "api_error", "An unknown error occurred (injected).")
            elif status == 429:
                code = "lock_timeout" if should_retry else "rate_limit"
                error = StripeApiError(
                    429, "invalid_request_error", "Too many requests (injected).", code=code
                )
            elif status == 402:
                error = StripeApiError(
                    402,
                    "card_error",
                    "Your card was declined.",
                    code="card_declined",
                    decline_code="generic_decline",
                    param="",
                )
            else:
                raise ValueError(f"cannot inject HTTP {status}")
            if should_retry is not None:
                error.headers["Stripe-Should-Retry"] = "true" if should_retry else "false"
            with self._lock:
                self._failures.append(error)

    def succeed_payment_intent(self, pi_id: str, *, at: int | None = None) -> dict[str, Any]:
        """The customer paid: status succeeded, a charge and its balance transaction."""
        with self._lock:
            pi = self.payment_intents[pi_id]
            created = at if at is not None else int(time.time())
            txn_id = fixtures.new_id("txn")
            ch = fixtures.charge(
                amount=pi["amount"],
                currency=pi["currency"],
                created=created,
                payment_intent_id=pi_id,
                balance_transaction=txn_id,
            )
            self.charges[ch["id"]] = ch
            self.balance_transactions[txn_id] = fixtures.balance_transaction(
                txn_id=txn_id,
                amount=pi["amount"],
                fee=pi["amount"] * ILLUSTRATIVE_FEE_PERCENT // 100,
                currency=pi["currency"],
                created=created,
                kind="charge",
                source=ch["id"],
            )
            pi.update(status="succeeded", amount_received=pi["amount"], latest_charge=ch["id"])
            return pi

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # --- request handling -----------------------------------------------------------------

    def handle(
        self, method: str, raw_path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        url = urlsplit(raw_path)
        key = headers.get("idempotency-key") if method == "POST" else None
        with self._lock:
            params: dict[str, Any] = {}
            try:
                params = (
                    decode_query(url.query)
                    if method in ("GET", "DELETE")
                    else decode_form(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
                )
                status, payload, extra, replayed = self._dispatch(
                    method, url.path, params, key, headers
                )
                injected = False
            except StripeApiError as error:
                status, payload, extra, replayed = error.status, error.body, error.headers, False
                injected = error in self._injected_now
            except ValueError as error:
                status, payload, extra, replayed = 400, _invalid(str(error)).body, {}, False
                injected = False
            self._injected_now.clear()
            self.requests.append(
                RecordedRequest(method, url.path, params, key, status, replayed, injected)
            )
            return status, payload, extra

    def _dispatch(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        key: str | None,
        headers: dict[str, str],
    ) -> tuple[int, dict[str, Any], dict[str, str], bool]:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            raise StripeApiError(401, "invalid_request_error", "Invalid API Key provided.")
        route, match = self._route(method, path)
        if self._failures:
            error = self._failures.pop(0)
            self._injected_now.append(error)
            raise error
        problem = validate(params, route.schema)
        if problem is not None:
            raise _param_error(problem)
        if key is not None and key in self._idempotency:
            stored = self._idempotency[key]
            if (stored.method, stored.path, stored.params) != (method, path, params):
                raise StripeApiError(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            return stored.status, stored.body, {"Idempotent-Replayed": "true"}, True
        try:
            status, payload = 200, route.handler(params, **match.groupdict())
        except StripeApiError as error:
            if error.status >= 500:
                raise
            status, payload = error.status, error.body  # stored and replayed, like Stripe
        if key is not None:
            self._idempotency[key] = _Stored(method, path, params, status, payload)
        return status, payload, {}, False

    def _route(self, method: str, path: str) -> tuple[_Route, re.Match[str]]:
        for route in self._routes:
            match = route.pattern.fullmatch(path)
            if match and route.method == method:
                return route, match
        raise StripeApiError(
            404, "invalid_request_error", f"Unrecognized request URL ({method}: {path})."
        )

    # --- endpoints ------------------------------------------------------------------------

    def _payment_intent_create(self, params: dict[str, Any]) -> dict[str, Any]:
        amount = int(params["amount"])
        if amount < 1:
            raise _invalid("Amount must be at least 1.", param="amount", code="amount_too_small")
        allowed = params.get("allowed_payment_method_types")
        if allowed and "automatic_payment_methods" in params:
            raise _invalid(
                "You may only specify one of these parameters: allowed_payment_method_types, "
                "automatic_payment_methods.",
                param="allowed_payment_method_types",
                code="parameters_exclusive",
            )
        if "return_url" in params and params.get("confirm") != "true":
            raise _invalid("return_url can only be used with confirm=true.", param="return_url")
        options = params.get("payment_method_options") or {}
        if (
            allowed
            and "wechat_pay" in allowed
            and not (options.get("wechat_pay") or {}).get("client")
        ):
            # Stripe asks for it when the intent is confirmed; refused earlier here.
            raise _invalid(
                "WeChat Pay needs payment_method_options[wechat_pay][client].",
                param="payment_method_options[wechat_pay][client]",
                code="parameter_missing",
            )
        if params.get("confirm") == "true":
            raise _invalid("confirm=true is not supported by the local Stripe server.")
        pi = fixtures.payment_intent(
            amount=amount,
            currency=params["currency"].lower(),
            created=int(time.time()),
            allowed_payment_method_types=allowed,
            payment_method_options=options,
            metadata=dict(params.get("metadata") or {}),
            description=params.get("description"),
        )
        self.payment_intents[pi["id"]] = pi
        return pi

    def _payment_intent_retrieve(self, params: dict[str, Any], pk: str) -> dict[str, Any]:
        if pk not in self.payment_intents:
            raise _missing("payment_intent", pk, "intent")
        return self.payment_intents[pk]

    def _payment_intent_update(self, params: dict[str, Any], pk: str) -> dict[str, Any]:
        pi = self._payment_intent_retrieve(params, pk)
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise _invalid(
                f"This PaymentIntent's status is {pi['status']}; it cannot be updated.",
                code="payment_intent_unexpected_state",
            )
        if "amount" in params:
            pi["amount"] = int(params["amount"])
        if "description" in params:
            pi["description"] = params["description"] or None
        metadata = params.get("metadata")
        if metadata == "":
            pi["metadata"] = {}
        elif isinstance(metadata, dict):
            for name, value in metadata.items():
                if value == "":
                    pi["metadata"].pop(name, None)
                else:
                    pi["metadata"][name] = value
        return pi

    def _refund_create(self, params: dict[str, Any]) -> dict[str, Any]:
        pi_id = params.get("payment_intent")
        if not pi_id and "charge" in params:
            pi_id = self._charge_retrieve({}, params["charge"])["payment_intent"]
        if not pi_id:
            raise _invalid(
                "One of the following params should be provided for this request: "
                "payment_intent or charge.",
                code="parameter_missing",
            )
        pi = self._payment_intent_retrieve({}, pi_id)
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise _invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="payment_intent_unexpected_state",
            )
        ch = self.charges[pi["latest_charge"]]
        remaining = ch["amount_captured"] - ch["amount_refunded"]
        if remaining <= 0:
            raise _invalid(
                f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded"
            )
        amount = int(params.get("amount", remaining))
        if amount < 1:
            raise _invalid("Amount must be at least 1.", param="amount", code="amount_too_small")
        if amount > remaining:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                param="amount",
                code="amount_too_large",
            )
        created = int(time.time())
        txn_id = fixtures.new_id("txn")
        re_obj = fixtures.refund(
            amount=amount,
            currency=ch["currency"],
            created=created,
            charge_id=ch["id"],
            payment_intent_id=pi_id,
            reason=params.get("reason"),
            metadata=dict(params.get("metadata") or {}),
            balance_transaction=txn_id,
        )
        self.refunds[re_obj["id"]] = re_obj
        self.balance_transactions[txn_id] = fixtures.balance_transaction(
            txn_id=txn_id,
            amount=-amount,
            fee=0,
            currency=ch["currency"],
            created=created,
            kind="refund",
            source=re_obj["id"],
        )
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] == ch["amount_captured"]
        return re_obj

    def _refund_retrieve(self, params: dict[str, Any], pk: str) -> dict[str, Any]:
        if pk not in self.refunds:
            raise _missing("refund", pk, "id")
        return self.refunds[pk]

    def _charge_retrieve(self, params: dict[str, Any], pk: str) -> dict[str, Any]:
        if pk not in self.charges:
            raise _missing("charge", pk, "charge")
        return self.charges[pk]

    def _balance_transaction_list(self, params: dict[str, Any]) -> dict[str, Any]:
        items = list(self.balance_transactions.values())
        created = params.get("created")
        bounds = created if isinstance(created, dict) else {}
        if isinstance(created, str):
            items = [t for t in items if t["created"] == int(created)]
        tests = {
            "gte": lambda a, b: a >= b,
            "gt": lambda a, b: a > b,
            "lte": lambda a, b: a <= b,
            "lt": lambda a, b: a < b,
        }
        for name, value in bounds.items():
            items = [t for t in items if tests[name](t["created"], int(value))]
        if "type" in params:
            items = [t for t in items if t["type"] == params["type"]]
        # Newest first; among equal timestamps the later-created object first.
        order = {txn_id: i for i, txn_id in enumerate(self.balance_transactions)}
        items.sort(key=lambda t: (t["created"], order[t["id"]]), reverse=True)
        if "starting_after" in params:
            ids = [t["id"] for t in items]
            if params["starting_after"] not in ids:
                raise _missing("balance_transaction", params["starting_after"], "starting_after")
            items = items[ids.index(params["starting_after"]) + 1 :]
        limit = int(params.get("limit", 10))
        if not 1 <= limit <= 100:
            raise _invalid("limit must be between 1 and 100.", param="limit")
        page = items[:limit]
        if "data.source" in (params.get("expand") or []):  # the charge or refund object
            objects = {**self.charges, **self.refunds}
            page = [{**t, "source": objects.get(t["source"], t["source"])} for t in page]
        return {
            "object": "list",
            "data": page,
            "has_more": len(items) > limit,
            "url": "/v1/balance_transactions",
        }


def _param_error(problem: ParamError) -> StripeApiError:
    return _invalid(problem.message, param=problem.param, code=problem.code)


class _Handler(BaseHTTPRequestHandler):
    server_version = "local-stripe/1"

    def do_GET(self) -> None:
        self._respond("GET")

    def do_POST(self) -> None:
        self._respond("POST")

    def do_DELETE(self) -> None:
        self._respond("DELETE")

    def _respond(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        stripe_server: StripeServer = self.server.stripe  # type: ignore[attr-defined]
        status, payload, extra = stripe_server.handle(method, self.path, body, headers)
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", fixtures.new_id("req"))
        self.send_header("Stripe-Version", fixtures.API_VERSION)
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `StripeServer.requests` instead."""
