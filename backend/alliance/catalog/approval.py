"""Listing approval: a cooperative submits a draft, its village's first secretary (or alliance
staff) approves it, which publishes it, or sends it back to draft with a comment.

Rules:
- In a village with `requires_listing_approval`, a product is published only by an approver
  (the first secretary of the product's village, or staff), or by its operator once it holds
  an approval (unpublishing keeps the approval; sending back clears it).
- Anyone who manages the product may submit it, also where approval is not required.
- Out-of-scope products answer "not found" (no existence oracle); an operator who manages the
  product but may not approve gets "permission denied".
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from alliance.accounts.models import Role
from alliance.catalog.errors import CatalogError
from alliance.catalog.models import Product
from alliance.core.errors import NotFound, PermissionDenied
from alliance.villages.permissions import can_manage_producer

MAX_COMMENT_LENGTH = 2000


class ApprovalRequired(CatalogError):
    code = "APPROVAL_REQUIRED"


class NotPendingApproval(CatalogError):
    code = "NOT_PENDING_APPROVAL"


def can_approve_listing(user: Any, product: Product) -> bool:
    """Staff, or the first secretary of the product's village."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role == Role.STAFF:
        return True
    return (
        user.role == Role.SECRETARY
        and user.village_id is not None
        and product.producer.village_id == user.village_id
    )


def publish_refusal(actor: Any, product: Product) -> CatalogError | None:
    """The error refusing `actor` publishing `product` directly, or None if they may."""
    if not product.producer.village.requires_listing_approval:
        return None
    if can_approve_listing(actor, product) or product.approved_at is not None:
        return None
    return ApprovalRequired(
        "This village requires the first secretary's approval before a product is published; "
        "submit it for approval.",
        field="status",
    )


def record_direct_publish(actor: Any, product: Product) -> None:
    """An approver publishing directly approves the listing too (set on the unsaved product)."""
    if product.approved_at is None and can_approve_listing(actor, product):
        product.approved_at = timezone.now()
        product.approved_by = actor
        product.approval_comment = ""


def _lock(actor: Any, product_id: int) -> Product:
    product = (
        Product.objects.select_for_update(of=("self",))
        .select_related("producer__village")
        .filter(pk=product_id)
        .first()
    )
    if product is None or not can_manage_producer(actor, product.producer):
        raise NotFound("Product not found.", field="id")
    return product


def _check_pending(product: Product) -> None:
    if product.status != Product.Status.PENDING_APPROVAL:
        raise NotPendingApproval(
            f"The product is not waiting for approval (status {product.get_status_display()}).",
            field="id",
        )


@transaction.atomic
def product_submit_for_approval(*, actor: Any, product_id: int) -> Product:
    product = _lock(actor, product_id)
    if product.status != Product.Status.DRAFT:
        raise CatalogError(
            f"Only a draft can be submitted (status {product.get_status_display()}).",
            code="NOT_DRAFT",
            field="id",
        )
    if not product.variants.exists():
        raise CatalogError(
            "A product needs at least one variant with a price before it is submitted.",
            code="NO_VARIANTS",
            field="id",
        )
    product.status = Product.Status.PENDING_APPROVAL
    product.submitted_at = timezone.now()
    product.approved_at = None
    product.approved_by = None
    product.save(
        update_fields=["status", "submitted_at", "approved_at", "approved_by", "updated_at"]
    )
    return product


@transaction.atomic
def product_approve(*, actor: Any, product_id: int) -> Product:
    product = _lock(actor, product_id)
    if not can_approve_listing(actor, product):
        raise PermissionDenied(
            "Only the village's first secretary or alliance staff may approve listings.",
            field="id",
        )
    _check_pending(product)
    if not product.variants.exists():
        raise CatalogError(
            "A product needs at least one variant with a price before it is published.",
            code="NO_VARIANTS",
            field="id",
        )
    now = timezone.now()
    product.status = Product.Status.PUBLISHED
    product.published_at = now
    product.approved_at = now
    product.approved_by = actor
    product.approval_comment = ""
    product.save(
        update_fields=[
            "status",
            "published_at",
            "approved_at",
            "approved_by",
            "approval_comment",
            "updated_at",
        ]
    )
    return product


@transaction.atomic
def product_send_back(*, actor: Any, product_id: int, comment: str) -> Product:
    product = _lock(actor, product_id)
    if not can_approve_listing(actor, product):
        raise PermissionDenied(
            "Only the village's first secretary or alliance staff may send a listing back.",
            field="id",
        )
    comment = (comment or "").strip()
    if not comment:
        raise CatalogError(
            "Say what should change before the product is sent back.",
            code="REQUIRED",
            field="comment",
        )
    if len(comment) > MAX_COMMENT_LENGTH:
        raise CatalogError(
            f"The comment is longer than {MAX_COMMENT_LENGTH} characters.", field="comment"
        )
    _check_pending(product)
    product.status = Product.Status.DRAFT
    product.approval_comment = comment
    product.approved_at = None
    product.approved_by = None
    product.save(
        update_fields=["status", "approval_comment", "approved_at", "approved_by", "updated_at"]
    )
    return product
