"""baseSaleCreate: a counter sale from base stock, handed over and paid at once."""

from decimal import Decimal

import pytest
from graphql_relay import to_global_id

from alliance.catalog.models import ProductVariant
from alliance.inventory.ledger import ledger_mismatches
from alliance.inventory.models import Allocation, Stock, StockMovement
from alliance.orders.models import Fulfillment, Order, OrderLine, OrderStatus, PaymentStatus
from alliance.orders.services import base_sale_create
from alliance.payments.models import Payment
from tests.backend.factories.accounts import consumer, operator_of, secretary_of, staff
from tests.backend.factories.orders import stocked_variant

pytestmark = pytest.mark.django_db

SELL = """
mutation($input: BaseSaleCreateInput!) {
  baseSaleCreate(input: $input) {
    order {
      number receiptNumber status paymentStatus
      channel { slug }
      total { amount currency } totalWeight { grams kilograms }
      lines { sku quantity unitPrice { amount } lineTotal { amount } weight { grams }
              lot { code } }
      payments { gateway status amount { amount } }
    }
    errors { field code message }
  }
}
"""


def _sell(gql, user, lines, method="CASH", reference=None):
    data = {
        "lines": [
            {"variant": to_global_id("ProductVariant", v.pk), "quantity": q} for v, q in lines
        ],
        "paymentMethod": method,
        "paymentReference": reference,
        "note": "县一中食堂",
    }
    return gql.as_user(user).data(SELL, {"input": data})["baseSaleCreate"]


def _state():
    return (
        Order.objects.count(),
        Payment.objects.count(),
        StockMovement.objects.count(),
        Allocation.objects.count(),
        sorted(Stock.objects.values_list("pk", "quantity", "allocated")),
    )


def test_a_bulk_cash_sale_is_fulfilled_paid_and_in_the_ledger(gql):
    clerk = staff()
    potatoes = stocked_variant(
        at_base=800_000, base="3.60", sold_by=ProductVariant.SoldBy.WEIGHT, weight_g=1000
    )
    honey = stocked_variant(at_base=50, base="52.00", weight_g=500)

    result = _sell(gql, clerk, [(potatoes, 350_000), (honey, 40)])

    assert result["errors"] == []
    order = result["order"]
    assert order["status"] == "FULFILLED"
    assert order["paymentStatus"] == "FULLY_CHARGED"
    assert order["channel"] == {"slug": "base"}
    assert order["receiptNumber"].startswith("R") and "-" in order["receiptNumber"]
    # 350 kg x 3.60 = 1260.00; 40 x 52.00 = 2080.00
    assert order["total"] == {"amount": "3340.00", "currency": "CNY"}
    assert order["totalWeight"] == {"grams": 370_000, "kilograms": "370.000"}
    assert order["payments"] == [
        {"gateway": "CASH", "status": "CAPTURED", "amount": {"amount": "3340.00"}}
    ]
    assert [line["weight"]["grams"] for line in order["lines"]] == [350_000, 20_000]
    assert all(line["lot"]["code"] for line in order["lines"])

    saved = Order.objects.get(number=order["number"])
    assert saved.created_by == clerk and saved.note == "县一中食堂" and saved.user is None
    sales = StockMovement.objects.filter(kind=StockMovement.Kind.BASE_SALE)
    assert sorted(sales.values_list("quantity", "weight_g")) == [
        (-350_000, -350_000),
        (-40, -20_000),
    ]
    assert set(sales.values_list("actor", flat=True)) == {clerk.pk}
    assert Stock.objects.get(variant=potatoes).quantity == 450_000
    assert Stock.objects.get(variant=potatoes).allocated == 0
    assert Allocation.objects.count() == 0
    assert ledger_mismatches() == []
    assert list(OrderLine.objects.values_list("quantity_fulfilled", "quantity")) == [
        (350_000, 350_000),
        (40, 40),
    ]
    fulfillment = Fulfillment.objects.get(order=saved)
    assert fulfillment.warehouse.kind == "base"
    assert fulfillment.lines.count() == 2
    payment = Payment.objects.get(order=saved)
    assert payment.captured_amount == Decimal("3340.00")
    assert payment.reference == saved.receipt_number


def test_a_bank_transfer_keeps_its_reference_and_receipts_are_unique():
    clerk = staff()
    variant = stocked_variant(at_base=10)
    first = base_sale_create(
        actor=clerk,
        lines=[(variant, 2)],
        payment_method="bank_transfer",
        payment_reference="ICBC-20261129-77",
    )
    second = base_sale_create(actor=clerk, lines=[(variant, 1)], payment_method="cash")
    assert first.payments.get().reference == "ICBC-20261129-77"
    assert first.payments.get().gateway == "bank_transfer"
    assert first.receipt_number != second.receipt_number
    assert first.status == second.status == OrderStatus.FULFILLED
    assert first.payment_status == PaymentStatus.FULLY_CHARGED
    assert first.total == Decimal("104.00")  # the base price, not the online 58.00


@pytest.mark.parametrize("who", ["anonymous", "consumer", "operator", "secretary"])
def test_only_staff_sell_at_the_counter(gql, who):
    variant = stocked_variant(at_base=10)
    producer = variant.product.producer
    user = {
        "anonymous": lambda: None,
        "consumer": consumer,
        "operator": lambda: operator_of(producer),
        "secretary": lambda: secretary_of(producer.village),
    }[who]()
    before = _state()
    result = _sell(gql, user, [(variant, 1)])
    assert result["order"] is None
    assert [e["code"] for e in result["errors"]] == ["PERMISSION_DENIED"]
    assert _state() == before


def test_stock_held_only_at_a_village_cannot_be_sold_at_the_counter(gql):
    variant = stocked_variant(at_village=100, at_base=2, sku="VILLAGE-ONLY")
    before = _state()
    result = _sell(gql, staff(), [(variant, 5)])
    assert [e["code"] for e in result["errors"]] == ["INSUFFICIENT_STOCK"]
    assert "VILLAGE-ONLY" in result["errors"][0]["message"]
    assert result["order"] is None
    assert _state() == before


def test_a_bank_transfer_needs_a_reference(gql):
    variant = stocked_variant(at_base=10)
    before = _state()
    result = _sell(gql, staff(), [(variant, 1)], method="BANK_TRANSFER", reference="  ")
    assert result["errors"] == [
        {
            "field": "paymentReference",
            "code": "PAYMENT_REFERENCE_REQUIRED",
            "message": "A bank transfer needs its reference.",
        }
    ]
    assert _state() == before


def test_an_unknown_variant_is_refused(gql):
    variant = stocked_variant(at_base=10)
    gone = stocked_variant()
    gone_id = to_global_id("ProductVariant", gone.pk)
    gone.prices.all().delete()
    gone.delete()
    before = _state()
    result = gql.as_user(staff()).data(
        SELL,
        {
            "input": {
                "lines": [
                    {"variant": to_global_id("ProductVariant", variant.pk), "quantity": 1},
                    {"variant": gone_id, "quantity": 1},
                ],
                "paymentMethod": "CASH",
            }
        },
    )["baseSaleCreate"]
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_FOUND", "lines.1.variant")]
    assert _state() == before


def test_a_variant_without_a_base_price_is_refused():
    from alliance.orders.errors import VariantNotAvailable

    variant = stocked_variant(at_base=10, base=None)
    before = _state()
    with pytest.raises(VariantNotAvailable):
        base_sale_create(actor=staff(), lines=[(variant, 1)], payment_method="cash")
    assert _state() == before
