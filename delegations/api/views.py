"""Delegation API (API-1; DEL-1..DEL-5, ACC-4). Thin: selectors read, services write and decide.

    GET  /api/v1/delegations/?direction=incoming|outgoing|granted|managed&status=…
    GET  /api/v1/delegations/{id}/
    POST /api/v1/delegations/requests/      {"tenant_number","scope","message"} → 202, same body either way
    POST /api/v1/delegations/grants/        {"email","tenants":[numbers],"scope","expires_on"} → 201
    POST /api/v1/delegations/{id}/accept|decline|withdraw|revoke|resign|extend/
    POST /api/v1/delegations/accept-link/   {"token"}
    GET /api/v1/managed-accounts/, GET /api/v1/managed-accounts/{id}/
    POST /api/v1/managed-accounts/  {"customer_number","scope","message"} → 202, same body either way
    POST /api/v1/managed-accounts/{id}/approve|decline|withdraw|notify-partner|dissolve/

Unseen objects answer 404 (selectors), refusals 403, wrong states 409 (services). Idempotency-Key on the
creating POSTs is handled by portal.middleware.IdempotencyMiddleware.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from delegations import selectors, services
from delegations.api.serializers import (
    AcceptInputSerializer,
    AcceptLinkInputSerializer,
    ExtendInputSerializer,
    GrantInputSerializer,
    GrantListOutputSerializer,
    GrantOutputSerializer,
    ManagedAccountInputSerializer,
    ManagedAccountOutputSerializer,
    ManagementRequestAcceptedSerializer,
    NoticeInputSerializer,
    ReasonInputSerializer,
    RequestAcceptedSerializer,
    RequestInputSerializer,
)
from delegations.filtersets import GrantFilterSet
from portal.api import ActiveAccountMixin
from portal.errors import RuleViolation
from tenants.selectors import tenants_visible_to


def request_received_body() -> dict:
    """DEL-1: one answer, byte for byte, whether or not the tenant exists."""
    return {"code": "request_received", "detail": str(services.REQUEST_RECEIVED)}


def management_request_received_body() -> dict:
    """ACC-4: one answer, byte for byte, whether or not the customer number exists."""
    return {"code": "management_request_received", "detail": str(services.MANAGEMENT_REQUEST_RECEIVED)}


def _input(serializer_class, request) -> dict:
    """The request body checked by ``serializer_class``; a 400 with the field errors otherwise."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _partner_or_none(request):
    account = getattr(request, "account", None)
    return account if account is not None and account.kind == "partner" else None


class DelegationViewSet(ActiveAccountMixin, viewsets.GenericViewSet):
    serializer_class = GrantOutputSerializer
    filterset_class = GrantFilterSet
    lookup_value_regex = r"\d+"
    ordering_fields = ["created_at", "expires_at", "tenant_number", "status"]
    ordering = ["-created_at"]
    search_fields = ["tenant_number", "caretaker_email"]

    def get_queryset(self):
        params = self.request.query_params
        try:
            return selectors.grants_for(
                self.request.user,
                direction=params.get("direction") or None,
                status=params.get("status") or None,
            )
        except ValueError as exc:
            raise RuleViolation(str(exc), code="invalid_filter", fields={"direction": [str(exc)]}) from exc

    def _grant(self, pk):
        return selectors.grant_for(self.request.user, int(pk))

    def _out(self, grant, code=status.HTTP_200_OK):
        grant = selectors.grant_for(self.request.user, grant.pk)
        return Response(GrantOutputSerializer(grant, context={"request": self.request}).data, status=code)

    @extend_schema(
        parameters=[
            OpenApiParameter("direction", OpenApiTypes.STR, enum=list(selectors.DIRECTIONS)),
            OpenApiParameter("status", OpenApiTypes.STR, description="One status or a comma-separated list."),
        ]
    )
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._out(self._grant(pk))

    @extend_schema(request=RequestInputSerializer, responses={202: RequestAcceptedSerializer})
    @action(detail=False, methods=["post"], url_path="requests")
    def create_request(self, request):
        data = _input(RequestInputSerializer, request)
        services.request_caretaker_access(
            actor=request.user, partner_account=_partner_or_none(request), **data
        )
        return Response(request_received_body(), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=GrantInputSerializer, responses={201: GrantListOutputSerializer})
    @action(detail=False, methods=["post"], url_path="grants")
    def create_grants(self, request):
        data = _input(GrantInputSerializer, request)
        numbers = sorted({n.strip().upper() for n in data["tenants"]})
        tenants = list(tenants_visible_to(request.user).filter(number__in=numbers))
        missing = sorted(set(numbers) - {t.number for t in tenants})
        if missing:
            raise RuleViolation(
                _("Unknown tenants: %(numbers)s") % {"numbers": ", ".join(missing)},
                code="unknown_tenants",
                fields={"tenants": [_("Not found: %(numbers)s") % {"numbers": ", ".join(missing)}]},
            )
        grants = services.grant_caretaker_access(
            actor=request.user,
            tenants=tenants,
            email=data["email"],
            scope=data["scope"],
            expires_on=data["expires_on"],
            message=data["message"],
        )
        grants = [selectors.grant_for(request.user, g.pk) for g in grants]
        body = {"grants": GrantOutputSerializer(grants, many=True, context={"request": request}).data}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=AcceptLinkInputSerializer, responses=GrantListOutputSerializer)
    @action(detail=False, methods=["post"], url_path="accept-link")
    def accept_link(self, request):
        data = _input(AcceptLinkInputSerializer, request)
        grants = services.accept_grant_link(actor=request.user, token=data["token"])
        grants = [selectors.grant_for(request.user, g.pk) for g in grants]
        return Response(
            {"grants": GrantOutputSerializer(grants, many=True, context={"request": request}).data}
        )

    @extend_schema(request=AcceptInputSerializer, responses=GrantOutputSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        grant, data = self._grant(pk), _input(AcceptInputSerializer, request)
        return self._out(services.accept_delegation(actor=request.user, grant=grant, **data))

    @extend_schema(request=ReasonInputSerializer, responses=GrantOutputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        grant, data = self._grant(pk), _input(ReasonInputSerializer, request)
        return self._out(services.decline_delegation(actor=request.user, grant=grant, **data))

    @extend_schema(request=None, responses=GrantOutputSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._out(services.withdraw_delegation(actor=request.user, grant=self._grant(pk)))

    @extend_schema(request=ReasonInputSerializer, responses=GrantOutputSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        grant, data = self._grant(pk), _input(ReasonInputSerializer, request)
        return self._out(services.revoke_caretaker_access(actor=request.user, grant=grant, **data))

    @extend_schema(request=ReasonInputSerializer, responses=GrantOutputSerializer)
    @action(detail=True, methods=["post"])
    def resign(self, request, pk=None):
        grant, data = self._grant(pk), _input(ReasonInputSerializer, request)
        services.resign_caretaker_access(actor=request.user, grant=grant, **data)
        return self._out(grant)

    @extend_schema(request=ExtendInputSerializer, responses=GrantOutputSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        grant, data = self._grant(pk), _input(ExtendInputSerializer, request)
        return self._out(services.extend_caretaker_access(actor=request.user, grant=grant, **data))


class ManagedAccountViewSet(ActiveAccountMixin, viewsets.GenericViewSet):
    serializer_class = ManagedAccountOutputSerializer
    lookup_value_regex = r"\d+"
    filterset_fields = ["scope"]
    ordering_fields = ["created_at", "status"]
    ordering = ["-created_at"]

    def get_queryset(self):
        return selectors.managed_accounts_for(
            self.request.user, status=self.request.query_params.get("status") or None
        )

    def _relation(self, pk):
        return selectors.managed_account_for(self.request.user, int(pk))

    def _out(self, relation, code=status.HTTP_200_OK):
        relation = selectors.managed_account_for(self.request.user, relation.pk)
        return Response(
            ManagedAccountOutputSerializer(relation, context={"request": self.request}).data, status=code
        )

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR)])
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return self._out(self._relation(pk))

    @extend_schema(
        request=ManagedAccountInputSerializer, responses={202: ManagementRequestAcceptedSerializer}
    )
    def create(self, request):
        """ACC-4: 202 with the same body whether or not the customer number exists (no enumeration); the
        request shows in the partner's list with the typed number and no name until the owner approves."""
        data = _input(ManagedAccountInputSerializer, request)
        services.request_management(actor=request.user, partner_account=_partner_or_none(request), **data)
        return Response(management_request_received_body(), status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ManagedAccountOutputSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._out(services.approve_management(actor=request.user, relation=self._relation(pk)))

    @extend_schema(request=ReasonInputSerializer, responses=ManagedAccountOutputSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        relation, data = self._relation(pk), _input(ReasonInputSerializer, request)
        return self._out(services.decline_management(actor=request.user, relation=relation, **data))

    @extend_schema(request=None, responses=ManagedAccountOutputSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._out(services.withdraw_management(actor=request.user, relation=self._relation(pk)))

    @extend_schema(request=NoticeInputSerializer, responses=ManagedAccountOutputSerializer)
    @action(detail=True, methods=["post"], url_path="notify-partner")
    def notify_partner(self, request, pk=None):
        relation, data = self._relation(pk), _input(NoticeInputSerializer, request)
        return self._out(
            services.notify_partner_of_dissolution(actor=request.user, relation=relation, **data)
        )

    @extend_schema(request=ReasonInputSerializer, responses=ManagedAccountOutputSerializer)
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        relation, data = self._relation(pk), _input(ReasonInputSerializer, request)
        return self._out(services.dissolve_management(actor=request.user, relation=relation, **data))
