"""Account API (API-1): token log-in, me, accounts, members. Thin: selectors read, services write."""

from __future__ import annotations

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

from accounts import erasure, invitations, selectors, services, tokens, twofactor
from accounts.api.serializers import (
    AccountInputSerializer,
    AccountOutputSerializer,
    ApiTokenOutputSerializer,
    EraseInputSerializer,
    EraseOutputSerializer,
    InvitationOutputSerializer,
    LoggedOutSerializer,
    MemberInputSerializer,
    MemberOutputSerializer,
    MeOutputSerializer,
    RolesInputSerializer,
    TokenInputSerializer,
    TokenOutputSerializer,
)
from accounts.lockout import lockout_response
from accounts.models import MembershipInvitation
from portal.api import ActiveAccountMixin, error_body
from portal.errors import NotFound


class TokenView(APIView):
    """POST {"email", "password", "otp"?} → {"token", "token_key", "expiry"}; use as
    ``Authorization: Token <token>``. Tokens expire (``API_TOKEN_TTL_HOURS``) and end on a password change,
    a reset and "log out everywhere". Where two-factor authentication applies (accounts.twofactor) the
    current code (or a recovery code) is required in ``otp``; a user who must have a second factor and has
    none gets 403 ``two_factor_setup_required``."""

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
                # django-axes refused before the password was checked: say so (and for how long) instead of
                # blaming the password. AxesMiddleware cannot: the flag sits on DRF's request.
                return lockout_response(request._request)
            return Response(
                error_body("invalid_credentials", _("E-mail or password is wrong.")),
                status=status.HTTP_400_BAD_REQUEST,
            )
        twofactor.verify_for_token(user, data.validated_data["otp"])
        token, raw = tokens.issue_api_token(user=user, via="password")
        return Response({"token": raw, "token_key": token.token_key, "expiry": token.expiry})


class ApiTokenViewSet(viewsets.ViewSet):
    """The caller's own API tokens: GET lists them (never the secret), DELETE /{token_key}/ revokes one."""

    lookup_field = "token_key"
    lookup_value_regex = r"[A-Za-z0-9_]{1,40}"

    @extend_schema(responses=ApiTokenOutputSerializer(many=True))
    def list(self, request):
        rows = selectors.api_tokens_of(request.user)
        return Response(ApiTokenOutputSerializer(rows, many=True, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, token_key=None):
        tokens.revoke_api_token(actor=request.user, token_key=token_key)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutView(APIView):
    """POST: revoke the token this request was made with (a session is ended by logging out in the UI)."""

    @extend_schema(request=None, responses=LoggedOutSerializer)
    def post(self, request):
        token = getattr(request.auth, "token_key", None)
        if token is None:
            return Response({"revoked": 0})
        tokens.revoke_api_token(actor=request.user, token_key=token)
        return Response({"revoked": 1})


class LogoutEverywhereView(APIView):
    """POST: end every session and every API token of the caller."""

    @extend_schema(request=None, responses=LoggedOutSerializer)
    def post(self, request):
        return Response({"revoked": tokens.log_out_everywhere(user=request.user)})


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

    @extend_schema(request=EraseInputSerializer, responses=EraseOutputSerializer)
    @action(detail=True, methods=["post"])
    def erase(self, request, *args, **kwargs):
        """LIC-12 GDPR erasure (vendor admins): ``{"confirmation": "<customer number>"}``. Irreversible: the
        account's and its sole members' names, e-mails and addresses become pseudonyms, their log-ins stop;
        licences and statements stay."""
        account = self.get_object()
        data = EraseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = erasure.erase_account(
            actor=request.user, account=account, confirmation=data.validated_data["confirmation"]
        )
        return Response(EraseOutputSerializer(counts).data)


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

    @extend_schema(
        request=MemberInputSerializer,
        responses={201: MemberOutputSerializer, 202: InvitationOutputSerializer},
    )
    def create(self, request, *args, **kwargs):
        account = self.get_account()
        data = MemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.invite_member(actor=request.user, account=account, **data.validated_data)
        if isinstance(result, MembershipInvitation):
            # Issue 10: an existing user joins only by accepting; until then this is an invitation.
            return Response(InvitationOutputSerializer(result).data, status=status.HTTP_202_ACCEPTED)
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


class InvitationViewSet(viewsets.GenericViewSet):
    """Membership invitations (ACC-6, issue 10): GET lists the caller's own and those of accounts whose members it
    manages; the invited user accepts or declines, the account's admins withdraw. Unseen: 404."""

    serializer_class = InvitationOutputSerializer
    pagination_class = None
    filter_backends: list = []
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return invitations.invitations_for(self.request.user)

    def list(self, request):
        return Response(InvitationOutputSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, pk=None):
        return Response(InvitationOutputSerializer(invitations.invitation_for(request.user, int(pk))).data)

    def _act(self, request, pk, service):
        invitation = service(actor=request.user, invitation=invitations.invitation_for(request.user, int(pk)))
        return Response(InvitationOutputSerializer(invitation).data)

    @extend_schema(request=None, responses=InvitationOutputSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(request, pk, invitations.accept_invitation)

    @extend_schema(request=None, responses=InvitationOutputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(request, pk, invitations.decline_invitation)

    @extend_schema(request=None, responses=InvitationOutputSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, pk, invitations.withdraw_invitation)
