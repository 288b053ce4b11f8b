"""Account API shapes. Input and output serializers are separate (HackSoft)."""

from rest_framework import serializers

from accounts.models import ROLES_BY_KIND, Account, Role, User


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "name", "language"]


class AccountOutputSerializer(serializers.ModelSerializer):
    leading_account = serializers.CharField(source="leading_account.identifier", default=None, read_only=True)
    tenant_count = serializers.IntegerField(read_only=True, default=None)
    key = serializers.CharField(
        source="url_key", read_only=True, help_text="The account in URLs: number or ~id."
    )

    class Meta:
        model = Account
        fields = [
            "key",
            "number",
            "name",
            "kind",
            "purpose",
            "leading_account",
            "contact_email",
            "street",
            "postal_code",
            "city",
            "country",
            "tenant_count",
        ]


class AccountInputSerializer(serializers.Serializer):
    """The fields an account's admins change (PATCH); number, kind, purpose and leading account are fixed."""

    name = serializers.CharField(max_length=200, required=False)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True)


class MeOutputSerializer(serializers.Serializer):
    user = UserOutputSerializer()
    active_account = AccountOutputSerializer(allow_null=True)
    memberships = serializers.ListField(child=serializers.DictField())


class MemberOutputSerializer(serializers.Serializer):
    email = serializers.EmailField(source="user.email")
    name = serializers.CharField(source="user.name")
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))
    since = serializers.DateTimeField()


class MemberInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    name = serializers.CharField(required=False, allow_blank=True, default="")
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted({r for v in ROLES_BY_KIND.values() for r in v})),
        min_length=1,
    )


class RolesInputSerializer(serializers.Serializer):
    roles = serializers.ListField(child=serializers.CharField(), min_length=1)


class TokenInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(trim_whitespace=False, max_length=4096)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="The current code of the authenticator app (or a recovery code) where two-factor "
        "authentication applies.",
    )


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as 'Authorization: Token <token>'. Shown once.")
    token_key = serializers.CharField(help_text="The token's public prefix: names it for revocation.")
    expiry = serializers.DateTimeField(allow_null=True)


class ApiTokenOutputSerializer(serializers.Serializer):
    token_key = serializers.CharField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.SerializerMethodField()

    def get_current(self, token) -> bool:
        auth = getattr(self.context.get("request"), "auth", None)
        return getattr(auth, "digest", None) == token.digest


class LoggedOutSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    account = serializers.CharField(source="account.identifier")
    account_name = serializers.CharField(source="account.name")
    email = serializers.EmailField(source="user.email")
    roles = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField(source="effective_status")
    invited_by = serializers.EmailField(source="invited_by.email", default=None)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


class EraseInputSerializer(serializers.Serializer):
    confirmation = serializers.CharField(
        max_length=254, help_text="The account's customer number, typed to confirm (LIC-12, irreversible)."
    )


class EraseOutputSerializer(serializers.Serializer):
    members_erased = serializers.IntegerField()
    members_kept = serializers.IntegerField()
    audit_events_scrubbed = serializers.IntegerField()
