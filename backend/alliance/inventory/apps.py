from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "alliance.inventory"
    label = "inventory"
