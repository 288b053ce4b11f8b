"""The support app's audit events in words (DEL-7 trail, UI-1): action names, sentences and change keys,
registered with portal.audit / portal.audit_text in ``SupportConfig.ready()``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "support.contract.created": _("Support contract created"),
    "support.contract.changed": _("Support contract changed"),
    "support.staging_account.created": _("Staging or simulation account created"),
    "support.ticket.created": _("Support ticket created"),
    "support.ticket.message_added": _("Message added to a support ticket"),
    "support.ticket.status_changed": _("Support ticket status changed"),
    "support.legacy_link.tenant_moved": _("Tenant moved to resolve a legacy double link"),
    "support.legacy_link.resolved": _("Legacy double link resolved"),
    "support.legacy.imported": _("Legacy data imported"),
}
SENTENCES = {
    "support.contract.created": _("%(actor)s created the contract %(object)s"),
    "support.contract.changed": _("%(actor)s changed the contract %(object)s"),
    "support.staging_account.created": _("%(actor)s created the account %(object)s led by %(leading)s"),
    "support.ticket.created": _("%(actor)s filed the ticket %(object)s"),
    "support.ticket.message_added": _("%(actor)s wrote in the ticket %(object)s"),
    "support.ticket.status_changed": _("%(actor)s set the ticket %(object)s to %(to)s"),
    "support.legacy_link.tenant_moved": _("%(actor)s moved the tenant %(object)s to %(to)s"),
    "support.legacy_link.resolved": _("%(actor)s resolved the legacy double link of %(tenant)s: %(chosen)s"),
    "support.legacy.imported": _("%(actor)s imported legacy data"),
}
KEYS = {
    "valid_from": _("Valid from"),
    "valid_until": _("Valid until"),
    "technical_contact": _("Central technical contact"),
    "system_administrator": _("System administrator"),
    "note": _("Note"),
    "leading": _("Leading account"),
    "verdict": _("Verdict"),
    "subject_account": _("About"),
    "billable": _("Billable"),
    "tenant": _("Tenant"),
    "chosen": _("Chosen account"),
    "accounts": _("Accounts"),
    "tenants": _("Tenants"),
    "flagged_links": _("Legacy double links"),
    "source": _("Source"),
}


def register() -> None:
    from portal import audit, audit_text

    from .models import ContractKind, TicketStatus, Verdict

    audit.register_action_labels(ACTIONS)
    audit_text.register_sentences(SENTENCES)
    audit_text.register_key_labels(KEYS)
    audit_text.register_value_labels("verdict", Verdict.choices)
    for key in ("from", "to"):
        audit_text.register_value_labels(key, TicketStatus.choices)
    audit_text.register_value_labels("kind", ContractKind.choices)
