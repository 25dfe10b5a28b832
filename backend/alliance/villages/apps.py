from django.apps import AppConfig


class VillagesConfig(AppConfig):
    name = "alliance.villages"
    label = "villages"
