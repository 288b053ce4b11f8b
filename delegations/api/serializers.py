"""Delegation API shapes (DEL-1..DEL-5, ACC-4). Input and output serializers are separate (HackSoft).

Output needs ``context["request"]``: what a row discloses (the tenant's name, the customer) and which
actions it offers depend on who reads it.
"""

from __future__ import annotations

from rest_framework import serializers

from delegations import selectors
from delegations.models import CaretakerGrant, ManagedAccount, Scope


class GrantOutputSerializer(serializers.ModelSerializer):
    status = serializers.CharField(source="effective_status", read_only=True)
    tenant_name = serializers.SerializerMethodField()
    customer = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    partner_account = serializers.CharField(source="partner_account.identifier", default=None, read_only=True)
    requested_by = serializers.EmailField(source="requested_by.email", default=None, read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = CaretakerGrant
        fields = [
            "id",
            "tenant_number",
            "tenant_name",
            "customer",
            "customer_name",
            "caretaker_email",
            "partner_account",
            "origin",
            "scope",
            "status",
            "message",
            "requested_by",
            "created_at",
            "decided_at",
            "expires_at",
            "ended_at",
            "actions",
        ]

    def _user(self):
        return self.context["request"].user

    def _disclosed(self, grant) -> bool:
        return selectors.tenant_disclosed(self._user(), grant)

    def get_tenant_name(self, grant) -> str | None:
        return grant.tenant.name if self._disclosed(grant) else None

    def get_customer(self, grant) -> str | None:
        return grant.customer_account.identifier if self._disclosed(grant) else None

    def get_customer_name(self, grant) -> str | None:
        return grant.customer_account.name if self._disclosed(grant) else None

    def get_actions(self, grant) -> list[str]:
        return selectors.allowed_actions(self._user(), grant)


class RequestInputSerializer(serializers.Serializer):
    tenant_number = serializers.CharField(max_length=50)
    scope = serializers.ChoiceField(choices=Scope.choices)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RequestAcceptedSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class GrantInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    tenants = serializers.ListField(
        child=serializers.CharField(max_length=20), allow_empty=False, max_length=200
    )
    scope = serializers.ChoiceField(choices=Scope.choices)
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class GrantListOutputSerializer(serializers.Serializer):
    grants = GrantOutputSerializer(many=True)


class AcceptInputSerializer(serializers.Serializer):
    expires_on = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Customer accepting a request: optional expiry date.",
    )


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ExtendInputSerializer(serializers.Serializer):
    expires_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="New expiry date; empty: 30 days longer."
    )


class AcceptLinkInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class ManagedAccountOutputSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer_label", read_only=True)
    customer_name = serializers.SerializerMethodField(
        help_text="The customer's name; null for the partner until the owner approved (ACC-4)."
    )
    partner = serializers.CharField(source="partner_account.identifier", read_only=True)
    partner_name = serializers.CharField(source="partner_account.name", read_only=True)
    requested_by = serializers.EmailField(source="requested_by.email", default=None, read_only=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = ManagedAccount
        fields = [
            "id",
            "customer",
            "customer_name",
            "partner",
            "partner_name",
            "scope",
            "status",
            "message",
            "requested_by",
            "created_at",
            "decided_at",
            "ended_at",
            "partner_notified_at",
            "partner_notice",
            "end_reason",
            "actions",
        ]

    def get_customer_name(self, relation) -> str | None:
        user = self.context["request"].user
        return relation.customer_account.name if selectors.customer_disclosed(user, relation) else None

    def get_actions(self, relation) -> list[str]:
        return selectors.allowed_management_actions(self.context["request"].user, relation)


class ManagementRequestAcceptedSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class ManagedAccountInputSerializer(serializers.Serializer):
    customer_number = serializers.CharField(max_length=20)
    scope = serializers.ChoiceField(choices=Scope.choices)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class NoticeInputSerializer(serializers.Serializer):
    notice = serializers.CharField(max_length=2000)
