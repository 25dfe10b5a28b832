from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "alliance.catalog"
    label = "catalog"
