from django.apps import AppConfig


class SettlementConfig(AppConfig):
    name = "alliance.settlement"
    label = "settlement"
