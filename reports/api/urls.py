"""Report routes under /api/v1/ (REP-1..REP-4)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    DeliveryViewSet,
    DestinationViewSet,
    LicenseReportView,
    StatementView,
    SubscriptionReportView,
)

router = SimpleRouter()
router.register("reports/destinations", DestinationViewSet, basename="report-destination")
router.register("reports/deliveries", DeliveryViewSet, basename="report-delivery")

urlpatterns = [
    path("reports/licenses/", LicenseReportView.as_view(), name="api-report-licenses"),
    path("reports/subscriptions/", SubscriptionReportView.as_view(), name="api-report-subscriptions"),
    path("statements/", StatementView.as_view(), name="api-statements"),
    *router.urls,
]
