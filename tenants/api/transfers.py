"""Tenant transfers over the API (TEN-1, issue 8 §5): both sides request, approve, decline and read the history.

``GET|POST /api/v1/tenants/{number}/transfers/`` — the tenant's history; an owner requests a transfer to the
customer account ``to_account`` (its number). ``GET /api/v1/transfers/`` — every transfer the caller may see
(incoming and outgoing). ``POST /api/v1/transfers/{id}/approve/`` and ``…/decline/`` — an owner of either
side answers. Rights come from the authority (tenants.access: owners of either side, vendor staff read);
the services check them and the state. POSTs accept ``Idempotency-Key``.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, serializers, status
from rest_framework.response import Response

from portal import access
from portal.api import ActiveAccountMixin
from tenants import selectors, services
from tenants.api.base import TenantScopedView
from tenants.models import TenantTransfer


class TransferSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.number", read_only=True)
    from_account = serializers.CharField(source="from_account.number", read_only=True)
    to_account = serializers.CharField(source="to_account.number", read_only=True)
    from_approved = serializers.SerializerMethodField()
    to_approved = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text="What the caller may do now: approve, decline.")

    class Meta:
        model = TenantTransfer
        fields = [
            "id",
            "tenant",
            "from_account",
            "to_account",
            "status",
            "from_approved",
            "to_approved",
            "created_at",
            "completed_at",
            "actions",
        ]

    def get_from_approved(self, transfer) -> bool:
        return transfer.from_approved_by_id is not None

    def get_to_approved(self, transfer) -> bool:
        return transfer.to_approved_by_id is not None

    def get_actions(self, transfer) -> list[str]:
        request = self.context.get("request")
        return services.transfer_actions(request.user, transfer) if request is not None else []


class TransferRequestSerializer(serializers.Serializer):
    to_account = serializers.CharField(max_length=20, help_text="The receiving customer account's number.")


@extend_schema(tags=["tenants"])
class TenantTransfersView(mixins.ListModelMixin, TenantScopedView):
    queryset = TenantTransfer._default_manager.none()
    serializer_class = TransferSerializer
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    search_fields: list[str] = []

    def get_queryset(self):
        return selectors.transfers_of(self.request.user, self.tenant)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=TransferRequestSerializer, responses={201: TransferSerializer})
    def post(self, request, *args, **kwargs):
        data = TransferRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        target = selectors.transfer_target(data.validated_data["to_account"])
        transfer = services.request_transfer(actor=request.user, tenant=self.tenant, to_account=target)
        return Response(self.get_serializer(transfer).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tenants"])
class TransferListView(ActiveAccountMixin, generics.ListAPIView):
    queryset = TenantTransfer._default_manager.none()
    serializer_class = TransferSerializer
    ordering_fields = ["created_at"]
    ordering = ["-created_at"]
    search_fields: list[str] = []

    def get_queryset(self):
        return selectors.transfers_for(self.request.user)


class _TransferAnswerView(ActiveAccountMixin, generics.GenericAPIView):
    serializer_class = TransferSerializer
    answer = ""

    @extend_schema(request=None, responses=TransferSerializer)
    def post(self, request, *args, **kwargs):
        transfer = selectors.transfer_for(request.user, kwargs["pk"])
        getattr(services, f"{self.answer}_transfer")(actor=request.user, transfer=transfer)
        access.forget(request.user)
        return Response(self.get_serializer(selectors.transfer_for(request.user, transfer.pk)).data)


@extend_schema(tags=["tenants"])
class TransferApproveView(_TransferAnswerView):
    answer = "approve"


@extend_schema(tags=["tenants"])
class TransferDeclineView(_TransferAnswerView):
    answer = "decline"
