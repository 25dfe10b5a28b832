"""The storefront's URL root: the shop (shop/urls.py, which documents the map), the
language switch, and friendly error pages. /console/ is kept free for the console app."""

from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("console/", include("console.urls")),
    path("", include("shop.urls")),
]

handler404 = "shop.views.errors.not_found"
handler500 = "shop.views.errors.server_error"
