"""Licence API shapes (LIC-3..LIC-6, SUB-1..SUB-3)."""

from __future__ import annotations

from rest_framework import serializers

from licenses.models import Kind, Term


class SubscriptionOutputSerializer(serializers.Serializer):
    term = serializers.CharField()
    started_on = serializers.DateField()
    current_period_start = serializers.DateField()
    current_period_end = serializers.DateField(help_text="The day the next period starts (renewal day).")
    auto_renew = serializers.BooleanField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    voided_at = serializers.DateTimeField(allow_null=True)
    void_reason = serializers.CharField(allow_blank=True)
    replaces = serializers.SerializerMethodField()
    replaced_by = serializers.SerializerMethodField()

    def get_replaces(self, sub) -> str | None:
        return sub.replaces.license.key if sub.replaces_id else None

    def get_replaced_by(self, sub) -> str | None:
        replaced = getattr(sub, "replaced_by", None)
        return replaced.license.key if replaced is not None else None


class LicenseOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    product = serializers.CharField(source="product.article_number")
    product_name = serializers.CharField(source="product.name")
    holder = serializers.CharField(source="holder.identifier")
    issuer = serializers.CharField(source="issuer.identifier")
    tenant = serializers.CharField(source="tenant.number", allow_null=True, default=None)
    assigned_user = serializers.EmailField(source="assigned_user.email", allow_null=True, default=None)
    quantity = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    subscription = serializers.SerializerMethodField()

    def get_subscription(self, license) -> dict | None:
        sub = getattr(license, "subscription", None) if license.kind in ("subscription", "nfr") else None
        return SubscriptionOutputSerializer(sub).data if sub is not None else None


class ActivationOutputSerializer(serializers.Serializer):
    fingerprint = serializers.CharField()
    activated_at = serializers.DateTimeField()
    deactivated_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class LicenseDetailSerializer(LicenseOutputSerializer):
    activations = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    def get_activations(self, license) -> list[dict]:
        return ActivationOutputSerializer(self.context.get("activations", []), many=True).data

    def get_actions(self, license) -> list[str]:
        return self.context.get("actions", [])


class IssueInputSerializer(serializers.Serializer):
    product = serializers.CharField(help_text="Article number")
    kind = serializers.ChoiceField(choices=Kind.choices)
    holder = serializers.CharField(
        help_text="Customer number of the holder (your customer, or your own account)"
    )
    tenant = serializers.CharField(required=False, allow_blank=True)
    quantity = serializers.IntegerField(required=False, default=1, min_value=1, max_value=10_000)
    demo_days = serializers.IntegerField(required=False, min_value=1, max_value=3650)
    term = serializers.ChoiceField(choices=Term.choices, required=False)
    group = serializers.CharField(required=False, allow_blank=True, help_text="Product group code")


class VoidInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=[("refund", "refund")], default="refund")


class SwapInputSerializer(serializers.Serializer):
    product = serializers.CharField(help_text="Article number of the replacement")
    term = serializers.ChoiceField(choices=Term.choices, required=False)
    quantity = serializers.IntegerField(required=False, min_value=1, max_value=10_000)


class AssignInputSerializer(serializers.Serializer):
    user = serializers.EmailField(allow_null=True, help_text="A member's e-mail, or null to take it back")


class ActivateInputSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(max_length=200)


class MoveInputSerializer(serializers.Serializer):
    from_fingerprint = serializers.CharField(max_length=200)
    to_fingerprint = serializers.CharField(max_length=200)


class RestoreInputSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(max_length=200, required=False, allow_blank=True)


class CheckInInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=100)
    fingerprint = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    nonce = serializers.CharField(max_length=200)


class TransferOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    license = serializers.CharField(source="license.key")
    from_account = serializers.CharField(source="from_account.identifier")
    to_account = serializers.CharField(source="to_account.identifier")
    proposed_by_account = serializers.CharField(source="proposed_by_account.identifier")
    status = serializers.CharField()
    proposed_at = serializers.DateTimeField()


def _subscription_row(license) -> dict | None:
    if license.kind not in ("subscription", "nfr"):
        return None
    sub = getattr(license, "subscription", None)
    if sub is None:
        return None
    return {
        "term": sub.term,
        "started_on": sub.started_on.isoformat(),
        "current_period_start": sub.current_period_start.isoformat(),
        "current_period_end": sub.current_period_end.isoformat(),
        "auto_renew": sub.auto_renew,
        "cancelled_at": sub.cancelled_at.isoformat() if sub.cancelled_at else None,
        "voided_at": sub.voided_at.isoformat() if sub.voided_at else None,
        "void_reason": sub.void_reason,
        "replaces": None,
        "replaced_by": None,
    }


def license_rows(rows) -> list[dict]:
    """The list's rows in ``LicenseOutputSerializer``'s shape, built directly (a page of a list that can hold
    millions of licences; the serializer stays the schema). Links between swapped subscriptions are on the
    detail."""
    from django.utils import timezone

    def when(value):
        return timezone.localtime(value).isoformat() if value else None

    return [
        {
            "key": row.key,
            "kind": row.kind,
            "status": row.status,
            "product": row.product.article_number,
            "product_name": row.product.name,
            "holder": row.holder.identifier,
            "issuer": row.issuer.identifier,
            "tenant": row.tenant.number if row.tenant_id else None,
            "assigned_user": row.assigned_user.email if row.assigned_user_id else None,
            "quantity": row.quantity,
            "issued_at": when(row.issued_at),
            "expires_at": when(row.expires_at),
            "subscription": _subscription_row(row),
        }
        for row in rows
    ]
