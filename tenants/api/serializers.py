from rest_framework import serializers

from tenants.models import Environment, Tenant


class TenantOutputSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.identifier", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    reseller = serializers.CharField(source="reseller.number", default=None, read_only=True)
    # TEN-3 list columns, annotated by selectors.tenants_visible_to (live domains, live bookings).
    domains_count = serializers.IntegerField(read_only=True, default=0)
    services_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Tenant
        fields = [
            "number",
            "name",
            "environment",
            "account",
            "account_name",
            "reseller",
            "created_at",
            "domains_count",
            "services_count",
        ]


class TenantDetailOutputSerializer(TenantOutputSerializer):
    """One tenant, with what the caller may do on it (TEN-7: which operations a client should offer)."""

    permissions = serializers.SerializerMethodField()
    has_undeployed = serializers.SerializerMethodField(help_text="Something is waiting to be deployed.")

    class Meta(TenantOutputSerializer.Meta):
        fields = [*TenantOutputSerializer.Meta.fields, "permissions", "has_undeployed"]

    def get_permissions(self, tenant) -> list[str]:
        from tenants.selectors import tenant_permissions

        allowed = tenant_permissions(self.context["request"].user, tenant)
        return sorted(name for name, value in vars(allowed).items() if value)

    def get_has_undeployed(self, tenant) -> bool:
        from tenants.selectors import has_undeployed

        return has_undeployed(tenant)


class TenantInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    environment = serializers.ChoiceField(choices=Environment.choices, default=Environment.PRODUCTION)
    account = serializers.CharField(
        required=False, help_text="Customer number of the owning account; default: the active account."
    )


class TenantRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
