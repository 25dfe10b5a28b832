from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "alliance.checkout"
    label = "checkout"

    def ready(self) -> None:
        from alliance.checkout import checks  # noqa: F401 -- registers the system checks
