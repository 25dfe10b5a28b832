from django.db import models

from alliance.core.models import BaseModel


class Town(BaseModel):
    """A township (镇/乡/街道) of the county."""

    code = models.CharField(max_length=12, unique=True)  # official division code
    name = models.CharField(max_length=64)
    name_en = models.CharField(max_length=64, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Village(BaseModel):
    class Kind(models.TextChoices):
        VILLAGE = "village", "村"
        COMMUNITY = "community", "社区"

    code = models.CharField(max_length=12, unique=True)  # official division code
    name = models.CharField(max_length=64)
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="villages")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.VILLAGE)
    story = models.TextField(blank=True)
    requires_listing_approval = models.BooleanField(default=False)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Producer(BaseModel):
    class Kind(models.TextChoices):
        COOPERATIVE = "cooperative", "合作社"
        ENTERPRISE = "enterprise", "企业"
        HOUSEHOLD = "household", "农户"

    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="producers")
    description = models.TextField(blank=True)
    contact_phone = models.CharField(max_length=32, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "name"], name="producer_name_unique_in_village"
            )
        ]

    def __str__(self) -> str:
        return self.name
