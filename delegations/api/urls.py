"""Delegation API routes, included under /api/v1/ by portal.api_urls (DEL-1..DEL-5, ACC-4)."""

from rest_framework.routers import SimpleRouter

from .views import DelegationViewSet, ManagedAccountViewSet

router = SimpleRouter()
router.register("delegations", DelegationViewSet, basename="delegation")
router.register("managed-accounts", ManagedAccountViewSet, basename="managed-account")

urlpatterns = router.urls
