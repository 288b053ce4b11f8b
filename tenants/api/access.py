"""Who has access to a tenant, and why (ACC-6, issue 8 §3): ``GET /api/v1/tenants/{number}/access/``.

Owners and admins of the owning account and vendor staff get every user who reaches the tenant, each right
with its source (membership role, reseller, managed relation and scope, caretaker grant with scope and
expiry, vendor staff, superuser); anyone else who sees the tenant gets their own entry. Computed by
``access.explain`` from the same sources that decide access, so it cannot disagree with them.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api import ActiveAccountMixin
from tenants import selectors


class AccountRefSerializer(serializers.Serializer):
    number = serializers.CharField()
    name = serializers.CharField()


class AccessReasonSerializer(serializers.Serializer):
    source = serializers.CharField(help_text="membership, reseller, managed_account, caretaker_grant, …")
    label = serializers.CharField()
    rights = serializers.ListField(child=serializers.CharField())
    account = AccountRefSerializer(allow_null=True)
    role = serializers.CharField(allow_blank=True)
    grant_id = serializers.IntegerField(allow_null=True)
    relation_id = serializers.IntegerField(allow_null=True)
    scope = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField(allow_null=True)


class AccessUserSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(allow_blank=True)


class AccessEntrySerializer(serializers.Serializer):
    user = AccessUserSerializer()
    rights = serializers.ListField(child=serializers.CharField())
    reasons = AccessReasonSerializer(many=True)


class TenantAccessSerializer(serializers.Serializer):
    tenant = serializers.CharField()
    complete = serializers.BooleanField(
        help_text="False: only your own entry (you may not see the whole list)."
    )
    entries = AccessEntrySerializer(many=True)


class TenantAccessView(ActiveAccountMixin, APIView):
    @extend_schema(responses=TenantAccessSerializer)
    def get(self, request, number: str):
        tenant = selectors.tenant_for(request.user, number)
        entries, complete = selectors.tenant_access(request.user, tenant)
        return Response(
            TenantAccessSerializer({"tenant": tenant.number, "complete": complete, "entries": entries}).data
        )
