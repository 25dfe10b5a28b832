from django.conf import settings
from django.contrib import admin
from django.urls import path
from django.views.static import serve

from alliance.graphql.views import graphql_view
from alliance.payments.views import stripe_webhook
from alliance.reports.views import export_download

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", graphql_view, name="graphql"),
    path("webhooks/stripe/", stripe_webhook, name="stripe-webhook"),
    path("exports/<int:pk>/download/", export_download, name="export-download"),
]
if settings.DEBUG or settings.DEMO_MODE:
    # Media from the local folder for the zero-setup demo; production serves it elsewhere.
    urlpatterns.append(
        path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}, name="media")
    )
