"""Support API routes, included under /api/v1/ by portal.api_urls (SUP-5, SUP-6, CHK-1, ACC-1)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import EntitlementView, SetupCheckView, StagingAccountView, TicketViewSet

router = SimpleRouter()
router.register("support/tickets", TicketViewSet, basename="support-ticket")

urlpatterns = [
    path("support/entitlement/", EntitlementView.as_view(), name="api-support-entitlement"),
    path("accounts/<str:number>/setup-check/", SetupCheckView.as_view(), name="api-setup-check"),
    path(
        "accounts/<str:number>/staging-accounts/", StagingAccountView.as_view(), name="api-staging-accounts"
    ),
    *router.urls,
]
