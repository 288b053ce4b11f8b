"""Support API (API-1; SUP-5, SUP-6, CHK-1, ACC-1). Thin: selectors read, services write and decide.

    GET  /api/v1/support/entitlement/?q=…                 vendor staff: matches, and the card for one match
    GET  /api/v1/support/tickets/                          the tickets the caller sees
    POST /api/v1/support/tickets/                          {"account","tenant","category","subject","message","accept_billable"}
    GET  /api/v1/support/tickets/{number}/
    GET  /api/v1/support/tickets/{number}/messages/       POST {"body"}
    POST /api/v1/support/tickets/{number}/status/         {"status": "open"|"waiting"|"closed"}
    GET  /api/v1/accounts/{number}/setup-check/
    POST /api/v1/accounts/{number}/staging-accounts/      {"purpose","contact_email","name"}

Unseen objects answer 404, refusals 403 (rights) or 400 with the chain of reasons (entitlement), wrong
states 409. Idempotency-Key on creating POSTs: portal.middleware.IdempotencyMiddleware.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import AccountOutputSerializer
from portal.api import ActiveAccountMixin
from portal.errors import NotPermitted, RuleViolation
from support import selectors, services
from support.api.serializers import (
    LookupOutputSerializer,
    MessageInputSerializer,
    MessageOutputSerializer,
    SetupCheckSerializer,
    StagingInputSerializer,
    StatusInputSerializer,
    TicketInputSerializer,
    TicketOutputSerializer,
)
from support.checks import setup_check


def _input(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class EntitlementView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                required=True,
                description="Customer number, e-mail, e-mail domain, tenant number or licence key",
            ),
            OpenApiParameter(
                "card", OpenApiTypes.BOOL, description="false: only the matches (type-ahead), no answer card"
            ),
        ],
        responses=LookupOutputSerializer,
    )
    def get(self, request):
        """SUP-5: who is the caller, and is it entitled? One indexed lookup per kind of key."""
        result = selectors.search(request.user, request.query_params.get("q", ""))
        card = None
        wants_card = request.query_params.get("card", "true").lower() not in ("0", "false", "no")
        if wants_card and len(result.matches) == 1:
            match = result.matches[0]
            card = selectors.card(request.user, match.account, tenant=match.tenant, licence=match.licence)
        body = {
            "query": result.query,
            "kind": result.kind,
            "normalized": result.normalized,
            "matches": result.matches,
            "card": card,
        }
        return Response(LookupOutputSerializer(body).data)


class TicketViewSet(ActiveAccountMixin, viewsets.GenericViewSet):
    serializer_class = TicketOutputSerializer
    lookup_field = "number"
    lookup_value_regex = r"SUP-\d+"
    ordering_fields = ["created_at", "status", "number"]
    ordering = ["-created_at"]
    search_fields = ["number", "subject"]

    def get_queryset(self):
        queryset = selectors.tickets_visible_to(self.request.user)
        wanted = self.request.query_params.get("status")
        return queryset.filter(status=wanted) if wanted else queryset

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(TicketOutputSerializer(page, many=True).data)

    def retrieve(self, request, number=None):
        return Response(TicketOutputSerializer(selectors.ticket_for(request.user, number)).data)

    @extend_schema(request=TicketInputSerializer, responses={201: TicketOutputSerializer})
    def create(self, request):
        data = _input(TicketInputSerializer, request)
        account = selectors.visible_account(request.user, data["account"])
        tenant = None
        if data.get("tenant"):
            tenant = selectors.tenants_of(account).filter(number=data["tenant"].strip().upper()).first()
            if tenant is None:
                raise RuleViolation(
                    _("The tenant does not belong to this account."),
                    code="tenant_not_of_account",
                    fields={"tenant": [_("Invalid.")]},
                )
        ticket = services.create_ticket(
            actor=request.user,
            subject_account=account,
            tenant=tenant,
            category=selectors.category_by_code(data["category"]),
            subject=data["subject"],
            message=data["message"],
            accept_billable=data["accept_billable"],
        )
        return Response(TicketOutputSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses=MessageOutputSerializer(many=True))
    @extend_schema(methods=["POST"], request=MessageInputSerializer, responses={201: MessageOutputSerializer})
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, number=None):
        ticket = selectors.ticket_for(request.user, number)
        if request.method == "POST":
            data = _input(MessageInputSerializer, request)
            message = services.add_message(actor=request.user, ticket=ticket, body=data["body"])
            return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)
        return Response(MessageOutputSerializer(selectors.messages_of(ticket), many=True).data)

    @extend_schema(request=StatusInputSerializer, responses=TicketOutputSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, number=None):
        ticket = selectors.ticket_for(request.user, number)
        data = _input(StatusInputSerializer, request)
        ticket = services.change_ticket_status(actor=request.user, ticket=ticket, status=data["status"])
        return Response(TicketOutputSerializer(ticket).data)


class SetupCheckView(APIView):
    @extend_schema(responses=SetupCheckSerializer)
    def get(self, request, number):
        """CHK-1: the account's set-up, classified into cases A–F, with what to correct."""
        account = selectors.visible_account(request.user, number)
        if not selectors.may(request.user, "view_setup_check", account):
            raise NotPermitted()
        return Response(SetupCheckSerializer(setup_check(account).as_data()).data)


class StagingAccountView(APIView):
    @extend_schema(request=StagingInputSerializer, responses={201: AccountOutputSerializer})
    def post(self, request, number):
        """ACC-1, seed 000 D/E: the owner creates the company's staging or simulation account."""
        account = selectors.visible_account(request.user, number)
        data = _input(StagingInputSerializer, request)
        new = services.create_staging_account(
            actor=request.user,
            account=account,
            purpose=data["purpose"],
            contact_email=data["contact_email"],
            name=data.get("name", ""),
        )
        return Response(AccountOutputSerializer(new).data, status=status.HTTP_201_CREATED)
