from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "alliance.core"
    label = "core"

    def ready(self) -> None:
        from alliance.core import checks  # noqa: F401 -- registers the system checks
