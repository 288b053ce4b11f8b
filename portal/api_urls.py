"""/api/v1/ routes. Apps add their viewsets to ``router`` in their api/urls.py (imported below)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api.views import AccountViewSet, MemberViewSet, MeView, TokenView
from tenants.api.views import TenantViewSet

router = DefaultRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register(r"accounts/(?P<number>[^/.]+)/members", MemberViewSet, basename="account-member")
router.register("tenants", TenantViewSet, basename="tenant")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    path("", include("tenants.api.urls")),
    path("", include("delegations.api.urls")),
    path("", include("licenses.api.urls")),
    path("", include("support.api.urls")),
    path("", include(router.urls)),
]
