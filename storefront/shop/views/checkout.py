"""Checkout, payment and confirmation. The storefront never decides that an order is paid:
the confirmation page shows what the backend reports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from api.client import mutation_errors
from shop import backend, divisions, session
from shop.messages import describe_error
from shop.views.cart import load_checkout

ADDRESS_FIELDS = ("province", "city", "district", "street", "recipient", "phone")
PAID = {"FULLY_CHARGED"}


def _address_form(request: HttpRequest, checkout: dict[str, Any]) -> dict[str, str]:
    """Form values: the POST, else what the backend holds (names mapped back to codes)."""
    if request.method == "POST":
        return {
            name: request.POST.get(name, "").strip()
            for name in (*ADDRESS_FIELDS, "email", "delivery")
        }
    saved = checkout.get("shippingAddress") or {}
    province = divisions.code_of(saved.get("province", ""), divisions.provinces()) or ""
    city = divisions.code_of(saved.get("city", ""), divisions.cities(province)) or ""
    district = divisions.code_of(saved.get("district", ""), divisions.districts(city)) or ""
    return {
        "province": province,
        "city": city,
        "district": district,
        "street": saved.get("street", ""),
        "recipient": saved.get("recipient", ""),
        "phone": saved.get("phone", ""),
        "email": checkout.get("email") or session.signed_in_email(request) or "",
        "delivery": "PICKUP_BASE"
        if checkout.get("deliveryMethod") == "PICKUP_BASE"
        else "DELIVERY",
    }


def _choices(form: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    provinces = divisions.provinces()
    if form["province"] not in {c for c, _ in provinces}:
        form["province"] = ""
    cities = divisions.cities(form["province"]) if form["province"] else []
    if form["city"] not in {c for c, _ in cities}:
        form["city"] = cities[0][0] if len(cities) == 1 else ""
    districts = divisions.districts(form["city"]) if form["city"] else []
    if form["district"] not in {c for c, _ in districts}:
        form["district"] = districts[0][0] if len(districts) == 1 else ""
    return {"provinces": provinces, "cities": cities, "districts": districts}


def checkout(request: HttpRequest) -> HttpResponse:
    current = load_checkout(request)
    if current is None or not current.get("lines"):
        messages.info(request, _("购物车是空的，先去挑选商品吧。"))
        return redirect("cart")
    form = _address_form(request, current)
    choices = _choices(form)
    field_errors: dict[str, list[str]] = {}
    general: list[str] = []
    if request.method == "POST" and "place" in request.POST:
        field_errors, general = _save(request, current, form, choices)
        if not field_errors and not general:
            return _place(request, current)
    elif request.method == "POST":
        pass  # "refresh": new province / city chosen without JavaScript; show its options
    for problem in current.get("problems") or []:
        if problem["code"] in {"INSUFFICIENT_STOCK", "NOT_AVAILABLE", "PRICE_CHANGED"}:
            text = describe_error(problem)
            if text not in general:
                general.append(text)
    return render(
        request,
        "shop/checkout.html",
        {
            "checkout": current,
            "form": form,
            "choices": choices,
            "field_errors": field_errors,
            "general_errors": general,
        },
        status=400 if field_errors or (request.method == "POST" and general) else 200,
    )


def _errors_into(
    errors: list[dict[str, Any]],
    field_errors: dict[str, list[str]],
    general: list[str],
    default_field: str | None = None,
) -> None:
    for error in errors:
        field = error.get("field") or default_field
        text = describe_error(error)
        if field in (*ADDRESS_FIELDS, "email", "delivery"):
            field_errors.setdefault(field, []).append(text)
        else:
            general.append(text)


def _save(
    request: HttpRequest,
    current: dict[str, Any],
    form: dict[str, str],
    choices: dict[str, list[tuple[str, str]]],
) -> tuple[dict[str, list[str]], list[str]]:
    """Send contact, delivery method and address to the backend; its errors by field."""
    token = current["token"]
    field_errors: dict[str, list[str]] = {}
    general: list[str] = []
    payload = backend.as_buyer(
        request, "checkout_email_update", {"token": token, "email": form["email"]}
    )["checkoutEmailUpdate"]
    _errors_into(mutation_errors(payload), field_errors, general, "email")
    method = "PICKUP_BASE" if form["delivery"] == "PICKUP_BASE" else "DELIVERY"
    payload = backend.as_buyer(
        request, "checkout_delivery_update", {"token": token, "method": method}
    )["checkoutDeliveryMethodUpdate"]
    _errors_into(mutation_errors(payload), field_errors, general, "delivery")
    if method == "DELIVERY":
        address = {
            "province": divisions.name_of(form["province"], choices["provinces"]) or "",
            "city": divisions.name_of(form["city"], choices["cities"]) or "",
            "district": divisions.name_of(form["district"], choices["districts"]) or "",
            "street": form["street"],
            "recipient": form["recipient"],
            "phone": form["phone"],
        }
        payload = backend.as_buyer(
            request, "checkout_address_update", {"token": token, "address": address}
        )["checkoutShippingAddressUpdate"]
        _errors_into(mutation_errors(payload), field_errors, general)
    return field_errors, general


def _place(request: HttpRequest, current: dict[str, Any]) -> HttpResponse:
    token = current["token"]
    payload = backend.as_buyer(request, "checkout_complete", {"token": token})["checkoutComplete"]
    errors = mutation_errors(payload)
    if errors:
        for error in errors:
            messages.error(request, describe_error(error))
        if any(
            e.get("code") in {"INSUFFICIENT_STOCK", "NOT_AVAILABLE", "PRICE_CHANGED"}
            for e in errors
        ):
            return redirect("cart")
        return redirect("checkout")
    order = payload["order"]
    session.remember_order(request, order["number"], checkout=token, order_id=order["id"])
    session.set_checkout(request, None)
    return redirect("pay", number=order["number"])


def _order(request: HttpRequest, number: str) -> dict[str, Any]:
    """The order as the backend shows it to this buyer; 404 when they may not see it."""
    entry = session.order_entry(request, number)
    found = None
    if entry and entry.get("checkout"):
        data = backend.as_buyer(request, "checkout_order", {"token": entry["checkout"]})
        found = (data.get("checkout") or {}).get("order")
    if found is None and session.signed_in_email(request):
        found = backend.as_buyer(request, "order", {"number": number}).get("order")
    if found is None or found.get("number") != number:
        raise Http404("unknown order")
    return found


def _start_payment(
    request: HttpRequest, number: str, order: dict[str, Any], gateway: str
) -> dict[str, Any]:
    entry = session.order_entry(request, number) or {}
    variables: dict[str, Any] = {
        "order": order["id"],
        "gateway": gateway,
        "token": entry.get("checkout"),
    }
    if gateway == "STRIPE":
        variables["returnUrl"] = request.build_absolute_uri(
            reverse("confirmation", kwargs={"number": number})
        )
    payload = backend.as_buyer(request, "order_payment_create", variables)["orderPaymentCreate"]
    errors = mutation_errors(payload)
    if not errors:
        session.remember_order(request, number, payment=payload["payment"]["id"], gateway=gateway)
    return {"errors": errors, **payload}


def pay(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(request, number)
    if order["paymentStatus"] in PAID or order["status"] == "CANCELLED":
        return redirect("confirmation", number=number)
    stripe: dict[str, Any] | None = None
    problem = None
    if settings.STRIPE_PUBLISHABLE_KEY:
        started = _start_payment(request, number, order, "STRIPE")
        if started["errors"]:
            problem = describe_error(started["errors"][0])
        else:
            stripe = {
                "client_secret": started["clientSecret"],
                "publishable_key": started.get("publishableKey") or settings.STRIPE_PUBLISHABLE_KEY,
                "return_url": request.build_absolute_uri(
                    reverse("confirmation", kwargs={"number": number})
                ),
            }
    return render(
        request,
        "shop/pay.html",
        {"order": order, "stripe": stripe, "problem": problem},
    )


@require_POST
def pay_demo(request: HttpRequest, number: str) -> HttpResponse:
    order = _order(request, number)
    started = _start_payment(request, number, order, "DEMO")
    errors = started["errors"]
    if not errors:
        entry = session.order_entry(request, number) or {}
        payload = backend.as_buyer(
            request,
            "order_payment_demo_confirm",
            {"payment": started["payment"]["id"], "token": entry.get("checkout")},
        )["orderPaymentDemoConfirm"]
        errors = mutation_errors(payload)
    if errors:
        for error in errors:
            messages.error(request, describe_error(error))
        return redirect("pay", number=number)
    return redirect("confirmation", number=number)


def confirmation(request: HttpRequest, number: str) -> HttpResponse:
    entry = session.order_entry(request, number) or {}
    if entry.get("gateway") == "STRIPE" and entry.get("payment"):
        # Stripe sent the buyer back: ask the backend to read the PaymentIntent now (the
        # webhook may be late). The backend decides; its errors only mean "not yet".
        backend.as_buyer(
            request,
            "order_payment_sync",
            {"payment": entry["payment"], "token": entry.get("checkout")},
        )
    order = _order(request, number)
    villages = sorted({line["villageName"] for line in order.get("lines") or []})
    return render(
        request,
        "shop/confirmation.html",
        {
            "order": order,
            "paid": order["paymentStatus"] in PAID,
            "villages": villages,
        },
    )
