"""Account API (API-1): token log-in, me, accounts, members. Thin: selectors read, services write."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    AccountInputSerializer,
    AccountOutputSerializer,
    MemberInputSerializer,
    MemberOutputSerializer,
    MeOutputSerializer,
    RolesInputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)
from portal.api import ActiveAccountMixin, error_body
from portal.errors import NotFound


class TokenView(APIView):
    """POST {"email", "password"} → {"token"}; use as ``Authorization: Token <token>``."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(request=TokenInputSerializer, responses=TokenOutputSerializer)
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["email"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            if getattr(request, "axes_locked_out", False):
                # django-axes refused before the password was checked: say so instead of blaming the password.
                # (AxesMiddleware cannot: the flag sits on DRF's request, not on the Django request it sees.)
                response = Response(
                    error_body(
                        "locked_out",
                        _("Too many failed log-ins. This log-in is locked for a while; try again later."),
                    ),
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
                cool_off = get_cool_off(request._request)
                if cool_off:
                    response["Retry-After"] = str(int(cool_off.total_seconds()))
                return response
            return Response(
                {"code": "invalid_credentials", "detail": _("E-mail or password is wrong."), "fields": {}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"token": services.api_token_for(user=user)})


class MeView(ActiveAccountMixin, APIView):
    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        memberships = [
            {
                "account": account.number or account.contact_email,
                "name": account.name,
                "kind": account.kind,
                "roles": selectors.roles_in(request.user, account),
            }
            for account in selectors.accounts_of(request.user)
        ]
        return Response(
            MeOutputSerializer(
                {"user": request.user, "active_account": request.account, "memberships": memberships}
            ).data
        )


class AccountViewSet(ActiveAccountMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = AccountOutputSerializer
    lookup_field = "number"
    search_fields = ["number", "name", "contact_email"]
    ordering_fields = ["number", "name", "kind", "purpose"]
    filterset_fields = ["kind", "purpose"]

    def get_queryset(self):
        return selectors.accounts_visible_to(self.request.user).order_by("number", "pk")

    def get_object(self):
        # Number-less staging/simulation accounts are addressed as ~<id> (Account.url_key).
        account = get_object_or_404(selectors.by_url_key(self.get_queryset(), self.kwargs["number"]))
        self.check_object_permissions(self.request, account)
        return account

    @extend_schema(request=AccountInputSerializer, responses=AccountOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Change name, contact e-mail or address (owners and admins): 404 unseen, 403 seen but refused."""
        account = self.get_object()
        data = AccountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_account(actor=request.user, account=account, **data.validated_data)
        return Response(AccountOutputSerializer(self.get_queryset().get(pk=account.pk)).data)


@extend_schema(
    parameters=[
        OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Customer number")
    ]
)
class MemberViewSet(ActiveAccountMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Members of one account: GET lists, POST invites (rights ceiling, ACC-3)."""

    serializer_class = MemberOutputSerializer
    pagination_class = None
    filter_backends: list = []

    def get_account(self):
        account = get_object_or_404(
            selectors.by_url_key(selectors.accounts_visible_to(self.request.user), self.kwargs["number"])
        )
        if not selectors.members_visible(self.request.user, account):
            raise NotFound()
        return account

    def list(self, request, *args, **kwargs):
        account = self.get_account()
        return Response(MemberOutputSerializer(selectors.members_of(request.user, account), many=True).data)

    @extend_schema(request=MemberInputSerializer, responses={201: MemberOutputSerializer})
    def create(self, request, *args, **kwargs):
        account = self.get_account()
        data = MemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.invite_member(actor=request.user, account=account, **data.validated_data)
        member = next(
            m
            for m in selectors.members_of(request.user, account)
            if m["user"].email == data.validated_data["email"].lower()
        )
        return Response(MemberOutputSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RolesInputSerializer, responses=MemberOutputSerializer)
    @action(detail=False, methods=["put", "delete"], url_path=r"(?P<email>[^/]+)")
    def member(self, request, number=None, email=None):
        account = self.get_account()
        member = next(
            (m for m in selectors.members_of(request.user, account) if m["user"].email == email.lower()), None
        )
        if member is None:
            raise NotFound()
        if request.method == "DELETE":
            services.remove_member(actor=request.user, account=account, user=member["user"])
            return Response(status=status.HTTP_204_NO_CONTENT)
        data = RolesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.change_roles(
            actor=request.user, account=account, user=member["user"], roles=data.validated_data["roles"]
        )
        member = next(
            m for m in selectors.members_of(request.user, account) if m["user"].pk == member["user"].pk
        )
        return Response(MemberOutputSerializer(member).data)
