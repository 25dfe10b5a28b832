from django.apps import AppConfig


class GraphQLConfig(AppConfig):
    name = "alliance.graphql"
    label = "alliance_graphql"
