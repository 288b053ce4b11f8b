from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import views
from portal.health import health

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("health/", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("audit/", views.audit_trail, name="audit_trail"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("tenants/", include("tenants.urls")),
    path("delegations/", include("delegations.urls")),
    path("licenses/", include("licenses.urls")),
    path("support/", include("support.urls")),
    path("api/v1/", include("portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

handler404 = "portal.views.not_found"
handler403 = "portal.views.forbidden"

if settings.DEBUG:
    pass
