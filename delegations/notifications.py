"""In-app notifications and e-mails about delegations. Implements DEL-1 (owners learn of requests),
DEL-2 (the grant link mail), DEL-4 (answers, endings, reminders to both sides), ACC-4 (managed accounts).

Services never send directly: in their transaction they record a ``delegations.tasks.deliver_notifications``
outbox job with ids (portal.outbox). Delivery is idempotent: each (user, dedupe key) gets one Notification
row, created in one transaction with its e-mail, and each mail is sent once per (dedupe key, address) —
a task that runs twice notifies once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from portal import access
from portal.mail import send_portal_mail

# kind → text; rendered at display time in the reader's language.
TEXTS = {
    "request_received": _("%(requester)s asks for %(scope)s access to your tenant %(tenant)s."),
    "request_message_added": _("%(requester)s added a message to the pending request for tenant %(tenant)s."),
    "grant_offered": _(
        "%(customer)s grants you %(scope)s access to tenant %(tenant)s. Open the link in the e-mail."
    ),
    "grant_accepted": _("Access of %(caretaker)s to tenant %(tenant)s (%(scope)s) is now active."),
    "grant_declined": _("Access of %(caretaker)s to tenant %(tenant)s was declined."),
    "grant_withdrawn": _("The access request of %(caretaker)s for tenant %(tenant)s was withdrawn."),
    "grant_revoked": _("Your access to tenant %(tenant)s was revoked by the customer."),
    "grant_resigned": _("%(caretaker)s resigned as caretaker of tenant %(tenant)s."),
    "grant_expired": _("Access of %(caretaker)s to tenant %(tenant)s has expired."),
    "grant_lapsed": _("The access request of %(caretaker)s for tenant %(tenant)s lapsed without an answer."),
    "grant_extended": _("Your access to tenant %(tenant)s was extended: it now runs %(end)s."),
    "grant_reminder_7d": _("Access of %(caretaker)s to tenant %(tenant)s runs %(end)s: one week left."),
    "grant_reminder_1d": _(
        "Access of %(caretaker)s to tenant %(tenant)s runs %(end)s: it ends within a day."
    ),
    "management_requested": _("%(partner)s asks to manage your account %(customer)s (%(scope)s)."),
    "management_approved": _("%(customer)s approved that %(partner)s manages its account."),
    "management_declined": _("%(customer)s declined management by %(partner)s."),
    "management_withdrawn": _("%(partner)s withdrew its request to manage %(customer)s."),
    "management_dissolution_notice": _(
        "Vendor support will dissolve the management of %(customer)s by %(partner)s on the owner's behalf."
    ),
    "management_dissolved": _("The management of %(customer)s by %(partner)s has been dissolved."),
}

# Mail subjects: short, one line, no trailing period (portal.mail cleans them too).
SUBJECTS = {
    "request_received": _("Caretaker access requested for %(tenant)s"),
    "request_message_added": _("New message on the request for %(tenant)s"),
    "grant_accepted": _("Caretaker access to %(tenant)s is active"),
    "grant_declined": _("Caretaker access to %(tenant)s declined"),
    "grant_withdrawn": _("Caretaker request for %(tenant)s withdrawn"),
    "grant_revoked": _("Your access to %(tenant)s was revoked"),
    "grant_resigned": _("Caretaker of %(tenant)s resigned"),
    "grant_expired": _("Caretaker access to %(tenant)s has ended"),
    "grant_lapsed": _("Caretaker request for %(tenant)s lapsed"),
    "grant_extended": _("Access to %(tenant)s extended"),
    "grant_reminder_7d": _("Caretaker access to %(tenant)s ends in a week"),
    "grant_reminder_1d": _("Caretaker access to %(tenant)s ends soon"),
    "management_requested": _("%(partner)s asks to manage your account"),
    "management_approved": _("Management of %(customer)s approved"),
    "management_declined": _("Management of %(customer)s declined"),
    "management_withdrawn": _("Request to manage %(customer)s withdrawn"),
    "management_dissolution_notice": _("Management of %(customer)s will be dissolved"),
    "management_dissolved": _("Management of %(customer)s dissolved"),
}

MAIL_TEMPLATES = {
    "request_received": "request_received.txt",
    "request_message_added": "request_received.txt",
    "grant_offered": None,  # the link mail (send_grant_link_mail) carries it
    "grant_accepted": "grant_answered.txt",
    "grant_declined": "grant_answered.txt",
    "grant_withdrawn": "grant_ended.txt",
    "grant_revoked": "grant_ended.txt",
    "grant_resigned": "grant_ended.txt",
    "grant_expired": "grant_ended.txt",
    "grant_lapsed": "grant_ended.txt",
    "grant_extended": "grant_extended.txt",
    "grant_reminder_7d": "reminder.txt",
    "grant_reminder_1d": "reminder.txt",
    "management_requested": "management_requested.txt",
    "management_approved": "management_answered.txt",
    "management_declined": "management_answered.txt",
    "management_withdrawn": "management_ended.txt",
    "management_dissolution_notice": "dissolution_notice.txt",
    "management_dissolved": "management_ended.txt",
}


class _SafeDict(dict):
    def __missing__(self, key):
        return "–"


def notification_text(kind: str, data: dict, reader=None) -> str:
    template = TEXTS.get(kind)
    if template is None:
        from portal import notices

        # Kinds other apps registered (tenants: "ready to deploy"), else the code as it is.
        return notices.text(kind, data, reader) or kind
    values = _SafeDict(data)
    if data.get("scope"):
        from .models import Scope

        values["scope"] = str(dict(Scope.choices).get(data["scope"], data["scope"]))
    if data.get("expires"):
        from .display import grant_end

        # One wording of a grant's end everywhere (delegations.display), in the reader's language.
        values["end"] = values["expires"] = grant_end(datetime.fromisoformat(data["expires"]))
    return str(template) % values


def _extension_days() -> int:
    from .services.grants import EXTENSION

    return EXTENSION.days


def subject_for(kind: str, data: dict) -> str:
    template = SUBJECTS.get(kind)
    if template is None:
        return notification_text(kind, data)
    values = _SafeDict(data)
    return str(template) % values


def absolute(path: str) -> str:
    from portal.mail import absolute as portal_absolute

    return portal_absolute(path)


# --- Recipients --------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    email: str
    user: User | None = None

    @property
    def language(self) -> str:
        return self.user.language if self.user is not None and self.user.language else settings.LANGUAGE_CODE

    @property
    def name(self) -> str:
        return (self.user.name or "") if self.user is not None else ""


def holders(obj, action: str, sources: tuple[str, ...]) -> list[Recipient]:
    """The active users who hold ``action`` on ``obj`` through one of ``sources`` — the authority's answer
    (delegations.access), not a second list of roles: who is told is who may act."""
    explanation = access.explain(obj)
    users = explanation.users()
    ids = sorted(
        user_id
        for user_id, reasons in explanation.reasons.items()
        if any(reason.source in sources and action in reason.rights for reason in reasons)
    )
    return [Recipient(email=users[user_id].email, user=users[user_id]) for user_id in ids]


def customer_side(grant) -> list[Recipient]:
    """The customer's owners and admins: those who may revoke the grant as its customer."""
    if grant.customer_account_id is None:
        return []
    return holders(grant, "revoke", ("customer_answers_request", "customer_grants"))


def caretaker_side(grant) -> list[Recipient]:
    user = grant.caretaker or User.objects.filter(email__iexact=grant.caretaker_email, is_active=True).first()
    return [Recipient(email=user.email, user=user)] if user else [Recipient(email=grant.caretaker_email)]


def requester(grant) -> list[Recipient]:
    user = grant.requested_by
    return [Recipient(email=user.email, user=user)] if user is not None and user.is_active else []


def grant_recipients(event: str, grant) -> list[Recipient]:
    is_request = grant.origin == "request"
    if event in ("request_received", "request_message_added"):
        return customer_side(grant)
    if event == "grant_offered":
        return [r for r in caretaker_side(grant) if r.user is not None]
    if event in ("grant_accepted", "grant_declined", "grant_lapsed"):
        return requester(grant) if is_request else customer_side(grant)
    if event == "grant_withdrawn":
        return customer_side(grant) if is_request else caretaker_side(grant)
    if event in ("grant_revoked", "grant_extended"):
        return caretaker_side(grant)
    if event == "grant_resigned":
        return customer_side(grant)
    if event in ("grant_expired", "grant_reminder_7d", "grant_reminder_1d"):
        return caretaker_side(grant) + customer_side(grant)
    raise ValueError(f"Unknown grant event {event!r}")


def partner_side(relation) -> list[Recipient]:
    """The partner's members who may request (and withdraw) management, and the requester."""
    recipients = holders(relation, "withdraw", ("partner",))
    requester = relation.requested_by
    if requester is not None and requester.is_active and all(r.user != requester for r in recipients):
        recipients.append(Recipient(email=requester.email, user=requester))
    return recipients


def owners(relation) -> list[Recipient]:
    """The customer's owners: those who approve and dissolve (ACC-4)."""
    return holders(relation, "dissolve", ("customer",))


def relation_recipients(event: str, relation) -> list[Recipient]:
    if event in ("management_requested", "management_withdrawn"):
        return owners(relation)
    if event in ("management_approved", "management_declined", "management_dissolution_notice"):
        return partner_side(relation)
    if event == "management_dissolved":
        return partner_side(relation) + owners(relation)
    raise ValueError(f"Unknown managed-account event {event!r}")


# --- Delivery ------------------------------------------------------------------------


def grant_data(grant, recipient: Recipient) -> dict:
    """What the recipient may read about the grant: the tenant's name only where it is disclosed (DEL-1)."""
    from .selectors import tenant_disclosed

    disclosed = grant.disclosed_to_caretaker or (
        recipient.user is not None and grant.tenant_id is not None and tenant_disclosed(recipient.user, grant)
    )
    tenant = grant.tenant_number
    if disclosed and grant.tenant is not None:
        tenant = f"{grant.tenant.number} ({grant.tenant.name})"
    return {
        "tenant": tenant,
        "tenant_number": grant.tenant_number,
        "scope": grant.scope,
        "caretaker": grant.caretaker_email,
        "requester": grant.requested_by.get_full_name() if grant.requested_by else grant.caretaker_email,
        "customer": grant.customer_account.name if disclosed and grant.customer_account else "",
        "expires": grant.expires_at.isoformat() if grant.expires_at else "",
    }


def relation_data(relation) -> dict:
    return {
        # The partner learns the customer's name only once the owner approved (ACC-4, no enumeration); before
        # that every notice names the number as it was typed.
        "customer": f"{relation.customer_account.name} ({relation.customer_account.identifier})"
        if relation.disclosed_to_partner
        else relation.customer_label,
        "partner": relation.partner_account.name,
        "scope": relation.scope,
        "notice": relation.partner_notice,
        "reason": relation.end_reason,
    }


def _notify(
    recipient: Recipient, *, kind: str, data: dict, dedupe_key: str, url: str, mail_context: dict, **links
):
    """One notice: a Notification row for a user (at most once per dedupe key) and, if it is new, the e-mail.

    Row and mail are one unit: a mail that fails (SMTP 4xx, server gone) rolls the row back, so the job's retry
    delivers both; the mail itself is sent once per (dedupe key, address) (``send_mail_once``), also for a
    recipient without an account, who has no row."""
    with transaction.atomic():
        if recipient.user is not None:
            try:
                with transaction.atomic():
                    from .models import Notification

                    _notification, created = Notification.objects.get_or_create(
                        user=recipient.user,
                        dedupe_key=dedupe_key,
                        defaults={"kind": kind, "data": data, "url": url, **links},
                    )
            except IntegrityError:  # a concurrent delivery of the same notice won
                created = False
            if not created:
                return False
        template = MAIL_TEMPLATES.get(kind)
        if template:
            # In the recipient's language, with the one frame of every portal mail (portal.mail); once per
            # (dedupe key, address), also for a recipient without an account.
            send_portal_mail(
                to=recipient.email,
                language=recipient.language,
                subject=lambda: subject_for(kind, data),
                template=f"delegations/mail/{template}",
                context={
                    "recipient": recipient,
                    "name": recipient.name,
                    # Called by the template while it renders in the recipient's language.
                    "text": lambda: notification_text(kind, data),
                    "kind": kind,
                    "data": data,
                    "link": absolute(url),
                    "extension_days": _extension_days(),
                    **mail_context,
                },
                key=f"notice:{dedupe_key}:{recipient.email}",
            )
    return True


def store_notices(user_ids, *, kind: str, data: dict, url: str, dedupe_key: str) -> int:
    """The sink of ``portal.notices``: one in-app Notification per user, at most once per dedupe key."""
    from .models import Notification

    created_count = 0
    for user_id in user_ids:
        try:
            with transaction.atomic():
                _notification, created = Notification.objects.get_or_create(
                    user_id=user_id, dedupe_key=dedupe_key, defaults={"kind": kind, "data": data, "url": url}
                )
        except IntegrityError:  # a concurrent delivery of the same notice won
            created = False
        created_count += created
    return created_count


def deliver_grant_event(
    event: str, grant_ids, *, exclude_user_id: int | None = None, keys: dict[str, str] | None = None
) -> int:
    """Notify the recipients of ``event`` for each grant; ``keys`` (str(grant id) → text) extend the dedupe key."""
    from .models import CaretakerGrant

    sent = 0
    grants = CaretakerGrant.objects.filter(pk__in=list(grant_ids)).select_related(
        "tenant", "customer_account", "caretaker", "requested_by"
    )
    for grant in grants:
        suffix = f":{keys[str(grant.pk)]}" if keys and str(grant.pk) in keys else ""
        seen = set()
        for recipient in grant_recipients(event, grant):
            if recipient.email in seen or (
                recipient.user is not None and recipient.user.pk == exclude_user_id
            ):
                continue
            seen.add(recipient.email)
            url = reverse("delegation_overview")
            extend_url = ""
            if (
                event.startswith("grant_reminder")
                and recipient.user is not None
                and access.can(recipient.user, "extend", grant)
            ):
                extend_url = absolute(reverse("delegation_extend", args=[grant.pk]))
            sent += _notify(
                recipient,
                kind=event,
                data=grant_data(grant, recipient),
                dedupe_key=f"{event}:g{grant.pk}{suffix}",
                url=url,
                mail_context={"grant": grant, "extend_url": extend_url},
                grant=grant,
            )
    return sent


def deliver_relation_event(event: str, relation_ids, *, exclude_user_id: int | None = None) -> int:
    from .models import ManagedAccount

    sent = 0
    relations = ManagedAccount.objects.filter(pk__in=list(relation_ids)).select_related(
        "customer_account", "partner_account", "requested_by"
    )
    for relation in relations:
        seen = set()
        for recipient in relation_recipients(event, relation):
            if recipient.email in seen or (
                recipient.user is not None and recipient.user.pk == exclude_user_id
            ):
                continue
            seen.add(recipient.email)
            sent += _notify(
                recipient,
                kind=event,
                data=relation_data(relation),
                dedupe_key=f"{event}:m{relation.pk}",
                url=reverse("delegation_overview"),
                mail_context={"relation": relation},
                managed_account=relation,
            )
    return sent


def send_grant_link_mail(invitation_id: int) -> bool:
    """DEL-2: e-mail the caretaker the signed, single-use, expiring link of a customer grant."""
    from .models import GrantInvitation
    from .tokens import make_token

    invitation = (
        GrantInvitation.objects.filter(pk=invitation_id, used_at__isnull=True, replaced_at__isnull=True)
        .select_related("customer_account", "invited_by")
        .first()
    )
    if invitation is None:
        return False
    grants = list(invitation.grants.filter(status="pending").select_related("tenant"))
    if not grants:
        return False
    user = User.objects.filter(email__iexact=invitation.email).first()
    recipient = Recipient(email=invitation.email, user=user)
    link = absolute(reverse("delegation_accept_link")) + "?token=" + make_token(invitation)
    # Once per invitation: a redelivered or repeated job does not mail the same link twice.
    return send_portal_mail(
        to=invitation.email,
        language=recipient.language,
        subject=lambda: (
            _("%(customer)s grants you caretaker access") % {"customer": invitation.customer_account.name}
        ),
        template="delegations/mail/grant_link.txt",
        context={
            "invitation": invitation,
            "grants": grants,
            "link": link,
            "has_user": user is not None,
            "name": recipient.name,
        },
        key=f"grant-link:{invitation.pk}",
    )
