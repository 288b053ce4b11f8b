"""Support API bodies (SUP-5, SUP-6, CHK-1): output serializers read model objects; input serializers check
shapes only — the rules are the services'."""

from __future__ import annotations

from rest_framework import serializers

from support.entitlement import reason_text
from support.models import Contract, Ticket, TicketMessage, TicketStatus


class AccountBriefSerializer(serializers.Serializer):
    number = serializers.CharField()
    identifier = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    purpose = serializers.CharField()
    contact_email = serializers.CharField()
    leading_account = serializers.SerializerMethodField()

    def get_leading_account(self, account) -> str | None:
        return account.leading_account.identifier if account.leading_account_id else None


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    params = serializers.DictField()
    text = serializers.SerializerMethodField()

    def get_text(self, reason) -> str:
        return reason_text(reason)


class ContractSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.identifier")
    technical_contact = serializers.EmailField(source="technical_contact.email", default=None)
    system_administrator = serializers.EmailField(source="system_administrator.email", default=None)

    class Meta:
        model = Contract
        fields = [
            "number",
            "account",
            "kind",
            "valid_from",
            "valid_until",
            "technical_contact",
            "system_administrator",
        ]


class TicketBriefSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.identifier")
    subject_account = serializers.CharField(source="subject_account.identifier")

    class Meta:
        model = Ticket
        fields = ["number", "subject", "status", "account", "subject_account", "created_at"]


class MatchSerializer(serializers.Serializer):
    account = AccountBriefSerializer()
    tenant = serializers.CharField(source="tenant.number", default=None)
    licence_key = serializers.CharField(source="licence.key", default=None)
    via = serializers.CharField()


class EntitlementCardSerializer(serializers.Serializer):
    account = AccountBriefSerializer()
    verdict = serializers.CharField(source="entitlement.verdict")
    verdict_label = serializers.CharField(source="entitlement.verdict_label")
    reasons = serializers.SerializerMethodField()
    ticket_account = serializers.CharField(source="entitlement.ticket_account.identifier", default=None)
    supporting_partner = serializers.CharField(
        source="entitlement.supporting_partner.identifier", default=None
    )
    within_core_hours = serializers.BooleanField(source="hours.open_now")
    next_opening = serializers.DateTimeField(source="hours.next_opening", allow_null=True)
    contracts = ContractSerializer(many=True)
    managing_partner = serializers.CharField(
        source="managing_partner.partner_account.identifier", default=None
    )
    caretakers = serializers.SerializerMethodField()
    related_accounts = AccountBriefSerializer(source="related", many=True)
    open_tickets = TicketBriefSerializer(many=True)
    linked_tickets = TicketBriefSerializer(many=True)

    def get_reasons(self, card) -> list[dict]:
        return [{**reason, "text": reason_text(reason)} for reason in card.entitlement.reasons_as_data()]

    def get_caretakers(self, card) -> list[dict]:
        return [
            {
                "email": grant.caretaker.email if grant.caretaker_id else grant.caretaker_email,
                "tenant": grant.tenant_number,
                "scope": grant.scope,
                "expires_at": grant.expires_at,
            }
            for grant in card.caretakers
        ]


class LookupOutputSerializer(serializers.Serializer):
    query = serializers.CharField()
    kind = serializers.CharField()
    normalized = serializers.CharField()
    matches = MatchSerializer(many=True)
    card = EntitlementCardSerializer(allow_null=True)


class TicketOutputSerializer(serializers.ModelSerializer):
    account = serializers.CharField(source="account.identifier")
    subject_account = serializers.CharField(source="subject_account.identifier")
    tenant = serializers.CharField(source="tenant.number", default=None)
    category = serializers.CharField(source="category.code")
    filed_by_account = serializers.CharField(source="filed_by_account.identifier", default=None)
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "number",
            "subject",
            "status",
            "account",
            "subject_account",
            "reference",
            "tenant",
            "category",
            "billable",
            "verdict",
            "reasons",
            "email_domain",
            "filed_by_account",
            "created_at",
            "closed_at",
        ]

    def get_reasons(self, ticket) -> list[dict]:
        return [{**reason, "text": reason_text(reason)} for reason in ticket.reasons]


class TicketInputSerializer(serializers.Serializer):
    account = serializers.CharField(help_text="Number (or ~id) of the account the ticket is about.")
    tenant = serializers.CharField(required=False, allow_blank=True)
    category = serializers.CharField()
    subject = serializers.CharField(max_length=200)
    message = serializers.CharField()
    accept_billable = serializers.BooleanField(default=False)


class MessageOutputSerializer(serializers.ModelSerializer):
    author = serializers.EmailField(source="author.email", default=None)

    class Meta:
        model = TicketMessage
        fields = ["id", "author", "body", "created_at"]


class MessageInputSerializer(serializers.Serializer):
    body = serializers.CharField()


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)


class SetupFindingSerializer(serializers.Serializer):
    case = serializers.CharField()
    code = serializers.CharField()
    reason = serializers.CharField()
    fix = serializers.CharField()
    url = serializers.CharField()


class SetupCheckSerializer(serializers.Serializer):
    account = serializers.CharField()
    cases = serializers.ListField(child=serializers.CharField())
    ok = serializers.BooleanField()
    findings = SetupFindingSerializer(many=True)


class StagingInputSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(
        choices=[("staging", "staging"), ("simulation", "simulation")], default="staging"
    )
    contact_email = serializers.EmailField()
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
