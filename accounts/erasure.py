"""GDPR erasure of an account's personal data. Implements LIC-12.

Vendor admins (the authority's ``erase`` on the account, accounts.access) erase an account after typing its
number; UI, API and admin action all call ``erase_account``. What happens, in one transaction:

- the account's name, contact e-mail and postal address become a pseudonym (``Gelöschtes Konto K-…`` /
  ``erased-<id>@erased.invalid``), ``anonymized_at`` is set;
- every member who belongs to *no other* account is pseudonymised the same way (name blank, e-mail
  ``erased-user-<id>@erased.invalid``), deactivated, gets an unusable password, a new security stamp (every
  session ends) and loses API tokens and two-factor devices: their log-ins stop. Members who also belong to
  other accounts keep their data (those accounts still need it) and their memberships;
- pending membership invitations of the account are withdrawn;
- the audit trail of the account and of the pseudonymised users loses the erased strings (names, e-mails,
  address lines are replaced by the pseudonym in ``target_repr`` and ``changes``), and one event
  ``account.erased`` records *that* the erasure happened, by whom and how many members were affected —
  never what was erased;
- apps above accounts erase what they hold (reports: e-mail destinations) through ``register_hook``.

Licences, activations, statements and the account's number stay: a licence can still be restored and the
vendor's books still add up. The erasure is irreversible; nothing keeps a copy.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import access
from portal.audit import record_event
from portal.errors import RuleViolation
from portal.models import AuditEvent

from .models import Account, InvitationStatus, Membership, MembershipInvitation, User, new_security_stamp

ERASED_DOMAIN = "erased.invalid"

# Hooks of apps above accounts: ``hook(account=..., user_ids=[...]) -> None``, called inside the transaction.
_HOOKS: list[Callable[..., None]] = []


def register_hook(hook: Callable[..., None]) -> None:
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def pseudonym_name(account: Account) -> str:
    return f"Gelöschtes Konto {account.number or account.pk}"


def pseudonym_email(account: Account) -> str:
    return f"erased-{account.pk}@{ERASED_DOMAIN}"


def user_pseudonym_email(user_id: int) -> str:
    return f"erased-user-{user_id}@{ERASED_DOMAIN}"


def _scrub(text: str, secrets: list[tuple[str, str]]) -> str:
    for old, new in secrets:
        if old:
            text = text.replace(old, new)
    return text


@transaction.atomic
def erase_account(*, actor, account: Account, confirmation: str) -> dict:
    """Erase ``account``'s personal data (LIC-12). ``confirmation`` must equal the account's number (or its
    contact e-mail for number-less accounts): typed, not clicked. Returns counts for the caller's message."""
    account = Account.objects.select_for_update().get(pk=account.pk)
    access.require(actor, "erase", account)
    expected = account.identifier
    if (confirmation or "").strip().casefold() != expected.casefold():
        raise RuleViolation(
            _("Type the customer number %(number)s to confirm the erasure.") % {"number": expected},
            code="confirmation_mismatch",
            fields={"confirmation": [_("Does not match the customer number.")]},
        )
    if account.anonymized_at is not None:
        raise RuleViolation(_("This account's personal data has been erased already."), code="already_erased")
    if account.is_vendor:
        raise RuleViolation(_("The vendor's own account cannot be erased."), code="vendor_account")

    # Strings that must disappear from the trail, longest first (an e-mail before the name inside it).
    secrets: list[tuple[str, str]] = []
    new_name, new_email = pseudonym_name(account), pseudonym_email(account)
    for value, replacement in (
        (account.name, new_name),
        (account.contact_email, new_email),
        (account.street, "–"),
        (account.city, "–"),
    ):
        if value and value.strip():
            secrets.append((value, replacement))

    # Earlier values of the personal fields, as the trail recorded their changes ("from"/"to").
    personal = {"name", "contact_email", "street", "postal_code", "city"}
    for changes in AuditEvent.objects.filter(account=account, action="account.changed").values_list(
        "changes", flat=True
    ):
        for key, change in (changes or {}).items():
            if key in personal and isinstance(change, dict):
                for value in (change.get("from"), change.get("to")):
                    if isinstance(value, str) and value.strip():
                        secrets.append((value, "–"))

    member_ids = set(Membership.objects.filter(account=account).values_list("user_id", flat=True))
    shared = set(
        Membership.objects.filter(user_id__in=member_ids)
        .exclude(account=account)
        .values_list("user_id", flat=True)
    )
    erased_ids = sorted(member_ids - shared)
    users = list(User.objects.select_for_update().filter(pk__in=erased_ids))
    for user in users:
        for value, replacement in ((user.email, user_pseudonym_email(user.pk)), (user.name, "–")):
            if value and value.strip():
                secrets.append((value, replacement))

    account.name = new_name
    account.contact_email = new_email
    account.street = account.postal_code = account.city = ""
    account.anonymized_at = timezone.now()
    account.save(update_fields=["name", "contact_email", "street", "postal_code", "city", "anonymized_at"])

    for user in users:
        _erase_user(user)

    MembershipInvitation.objects.filter(account=account, status=InvitationStatus.PENDING).update(
        status=InvitationStatus.WITHDRAWN, decided_at=timezone.now()
    )
    for hook in _HOOKS:
        hook(account=account, user_ids=erased_ids)

    secrets.sort(key=lambda pair: len(pair[0]), reverse=True)
    scrubbed = _scrub_audit(account, erased_ids, secrets)

    counts = {
        "members_erased": len(users),
        "members_kept": len(shared),
        "audit_events_scrubbed": scrubbed,
    }
    record_event(
        actor=actor,
        action="account.erased",
        target=account,
        target_repr=account.number or new_email,
        data=counts,
    )
    return counts


def _erase_user(user: User) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from knox.models import AuthToken

    user.email = user_pseudonym_email(user.pk)
    user.name = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.password = make_password(None)  # unusable; set directly: no "password changed" side path
    user.security_stamp = new_security_stamp()  # every session's hash changes: all sessions end
    user.save(
        update_fields=["email", "name", "is_active", "is_staff", "is_superuser", "password", "security_stamp"]
    )
    AuthToken.objects.filter(user=user).delete()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def _scrub_audit(account: Account, user_ids: list[int], secrets: list[tuple[str, str]]) -> int:
    """Replace the erased strings in the trail of the account and of the erased users."""
    if not secrets:
        return 0
    events = AuditEvent.objects.filter(
        Q(account=account)
        | Q(actor_id__in=user_ids)
        | Q(target_id=str(account.pk), target_type__model="account")
        | Q(target_id__in=[str(pk) for pk in user_ids], target_type__model="user")
    )
    changed = 0
    for event in events.iterator(chunk_size=500):
        repr_ = _scrub(event.target_repr, secrets)
        changes_text = json.dumps(event.changes, ensure_ascii=False)
        new_changes = _scrub(
            changes_text,
            [
                (json.dumps(o, ensure_ascii=False)[1:-1], json.dumps(n, ensure_ascii=False)[1:-1])
                for o, n in secrets
            ],
        )
        if repr_ != event.target_repr or new_changes != changes_text:
            AuditEvent.objects.filter(pk=event.pk).update(target_repr=repr_, changes=json.loads(new_changes))
            changed += 1
    return changed
