from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "alliance.payments"
    label = "payments"

    def ready(self) -> None:
        from alliance.payments import checks  # noqa: F401 -- registers the system checks
