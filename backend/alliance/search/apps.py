from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "alliance.search"
    label = "search"
