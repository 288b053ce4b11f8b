"""/api/v1/ routes: each app serves its own (``<app>/api/urls.py``); the ground floor names them, nothing more."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("tenants.api.urls")),
    path("", include("delegations.api.urls")),
    path("", include("licenses.api.urls")),
    path("", include("support.api.urls")),
    path("", include("reports.api.urls")),
]
