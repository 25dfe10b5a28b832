from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "alliance.orders"
    label = "orders"
