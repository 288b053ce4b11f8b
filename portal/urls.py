from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from portal import views
from portal.health import health

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("health/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", views.audit_trail, name="audit_trail"),
    path("nav/", views.nav_status, name="nav_status"),
    path("favicon.ico", views.favicon),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("tenants/", include("tenants.urls")),
    path("delegations/", include("delegations.urls")),
    path("licenses/", include("licenses.urls")),
    path("support/", include("support.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's set-up as a script file: no inline script (Content-Security-Policy).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "portal.views.not_found"
handler403 = "portal.views.forbidden"
handler400 = "portal.views.bad_request"
handler500 = "portal.views.server_error"

if settings.DEBUG:
    pass
