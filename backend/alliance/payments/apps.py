from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "alliance.payments"
    label = "payments"
