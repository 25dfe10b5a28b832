from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from alliance.core.models import BaseModel


class Role(models.TextChoices):
    CONSUMER = "consumer", "顾客"
    OPERATOR = "operator", "合作社"
    SECRETARY = "secretary", "第一书记"
    STAFF = "staff", "联盟"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("users need an e-mail address")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("role", Role.STAFF)
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(BaseModel, AbstractBaseUser, PermissionsMixin):
    """Signs in with e-mail. `role` decides what the domain services allow.

    An operator works for one or more producers (`producers`); a first secretary is bound to
    one village (`village`), and a village has at most one first secretary.
    """

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=128, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CONSUMER)
    village = models.ForeignKey(
        "villages.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="secretaries",
    )
    producers = models.ManyToManyField("villages.Producer", blank=True, related_name="operators")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # Django admin access only
    is_demo = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_case_insensitive"),
            models.UniqueConstraint(
                fields=["village"],
                condition=Q(role="secretary"),
                name="one_first_secretary_per_village",
            ),
            models.CheckConstraint(
                condition=Q(role="secretary", village__isnull=False)
                | (~Q(role="secretary") & Q(village__isnull=True)),
                name="secretary_has_village_and_only_secretary",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_alliance_staff(self) -> bool:
        return self.is_active and self.role == Role.STAFF
