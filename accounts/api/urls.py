"""Account routes under /api/v1/ (ACC-1..ACC-3, API-1): token, me, accounts and their members."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import AccountViewSet, MemberViewSet, MeView, TokenView

router = SimpleRouter()
router.register("accounts", AccountViewSet, basename="account")
router.register(r"accounts/(?P<number>[^/.]+)/members", MemberViewSet, basename="account-member")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("me/", MeView.as_view(), name="api-me"),
    *router.urls,
]
