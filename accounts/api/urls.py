"""Account routes under /api/v1/ (ACC-1..ACC-3, ACC-6, API-1): tokens (issue 10), me, accounts and their
members, membership invitations."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AccountViewSet,
    ApiTokenViewSet,
    InvitationViewSet,
    LogoutEverywhereView,
    LogoutView,
    MemberViewSet,
    MeView,
    TokenView,
)

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register(r"accounts/(?P<number>[^/.]+)/members", MemberViewSet, basename="account-member")
router.register("auth/tokens", ApiTokenViewSet, basename="api-token")
router.register("invitations", InvitationViewSet, basename="invitation")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", LogoutEverywhereView.as_view(), name="api-logout-all"),
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
