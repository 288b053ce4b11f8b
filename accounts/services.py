"""Account and membership writes. Implements ACC-1, ACC-2, ACC-3 (rights ceiling), ACC-5 (selector side)."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from portal import access, ratelimit
from portal.audit import record_event
from portal.errors import InvalidTransition, RuleViolation
from portal.mail import absolute, send_portal_mail
from portal.numbers import next_number
from portal.outbox import enqueue
from portal.text import clean_single_line

from . import invitations
from .access import grantable_roles
from .models import (
    ROLES_BY_KIND,
    Account,
    AccountKind,
    AccountPurpose,
    Membership,
    MembershipInvitation,
    Role,
    User,
)


def _clean_email(email: str, field: str = "email") -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise RuleViolation(
            _("Enter a valid e-mail address."), code="invalid_email", fields={field: exc.messages}
        ) from exc
    return email


def check_new_account(
    *,
    name: str,
    kind: str = AccountKind.CUSTOMER,
    purpose: str = AccountPurpose.PRODUCTION,
    contact_email: str = "",
    leading_account: Account | None = None,
    number: str | None = None,
) -> dict:
    """Check a new account against ACC-1 without writing anything; raise RuleViolation naming the field.

    Used by create_account() and by the admin's add form (which shows the errors on its fields). Returns the
    cleaned ``name``, ``contact_email`` and ``number`` ("" = none; None = to be generated: a production
    account always gets a number, staging and simulation accounts only if one is given).
    """
    name = clean_single_line(name, "name")
    if not name:
        raise RuleViolation(
            _("The account needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    if kind not in AccountKind.values:
        raise RuleViolation(_("Unknown account kind."), code="invalid_kind", fields={"kind": [_("Invalid.")]})
    if purpose not in AccountPurpose.values:
        raise RuleViolation(
            _("Unknown purpose."), code="invalid_purpose", fields={"purpose": [_("Invalid.")]}
        )
    contact_email = _clean_email(contact_email, "contact_email") if contact_email else ""
    if purpose == AccountPurpose.PRODUCTION:
        if leading_account is not None:
            raise RuleViolation(
                _("Production accounts have no leading account."),
                code="leading_account_not_allowed",
                fields={"leading_account": [_("Leave empty for production accounts.")]},
            )
    else:
        if leading_account is None or leading_account.purpose != AccountPurpose.PRODUCTION:
            raise RuleViolation(
                _(
                    "Staging and simulation accounts need the production account of the same company as leading account."
                ),
                code="leading_account_required",
                fields={"leading_account": [_("Choose a production account.")]},
            )
    number = (number or "").strip()
    if not number:
        # ACC-1: only staging and simulation accounts go without a customer number.
        number = None if purpose == AccountPurpose.PRODUCTION else ""
    if number == "" and not contact_email:
        raise RuleViolation(
            _("An account without a customer number is identified by its contact e-mail; enter one."),
            code="contact_email_required",
            fields={"contact_email": [_("Required for accounts without a number.")]},
        )
    if number and Account.objects.filter(number=number).exists():
        raise RuleViolation(
            _("An account with this customer number exists already."),
            code="number_taken",
            fields={"number": [_("Taken.")]},
        )
    return {"name": name, "contact_email": contact_email, "number": number}


@transaction.atomic
def create_account(
    *,
    actor: User,
    name: str,
    kind: str = AccountKind.CUSTOMER,
    purpose: str = AccountPurpose.PRODUCTION,
    contact_email: str = "",
    leading_account: Account | None = None,
    number: str | None = None,
    reseller: Account | None = None,
    street: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "DE",
) -> Account:
    """Create an account (ACC-1). Production accounts get a generated number unless one is given;
    staging and simulation accounts need a leading production account and may go without a number."""
    cleaned = check_new_account(
        name=name,
        kind=kind,
        purpose=purpose,
        contact_email=contact_email,
        leading_account=leading_account,
        number=number,
    )
    name, contact_email, number = cleaned["name"], cleaned["contact_email"], cleaned["number"]
    if number is None:
        number = next_number("account")
    try:
        with transaction.atomic():
            account = Account.objects.create(
                number=number,
                name=name,
                kind=kind,
                purpose=purpose,
                contact_email=contact_email,
                leading_account=leading_account,
                reseller=reseller,
                street=street,
                postal_code=postal_code,
                city=city,
                country=country,
            )
    except IntegrityError as exc:
        raise RuleViolation(
            _("An account with this customer number exists already."),
            code="number_taken",
            fields={"number": [_("Taken.")]},
        ) from exc
    record_event(
        actor=actor, action="account.created", target=account, data={"kind": kind, "purpose": purpose}
    )
    return account


@transaction.atomic
def update_account(*, actor: User, account: Account, **changes) -> Account:
    access.require(actor, "change", account)
    allowed = {"name", "contact_email", "street", "postal_code", "city", "country"}
    unknown = set(changes) - allowed
    if unknown:
        raise RuleViolation(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code="field_not_changeable",
            fields={f: [_("Not changeable.")] for f in unknown},
        )
    for field in ("name", "street", "postal_code", "city", "country"):
        if field in changes:
            changes[field] = clean_single_line(changes[field], field)
    if "contact_email" in changes and changes["contact_email"]:
        changes["contact_email"] = _clean_email(changes["contact_email"], "contact_email")
    if "name" in changes and not (changes["name"] or "").strip():
        raise RuleViolation(
            _("The account needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    account = Account.objects.select_for_update().get(pk=account.pk)
    before = {field: getattr(account, field) for field in changes}
    for field, value in changes.items():
        setattr(account, field, value)
    account.save(update_fields=list(changes))
    record_event(
        actor=actor,
        action="account.changed",
        target=account,
        data={f: {"from": before[f], "to": v} for f, v in changes.items() if before[f] != v},
    )
    return account


def _validate_roles(account: Account, roles: list[str] | set[str]) -> set[str]:
    roles = set(roles or [])
    if not roles:
        raise RuleViolation(
            _("Choose at least one role."), code="roles_required", fields={"roles": [_("Required.")]}
        )
    valid = set(ROLES_BY_KIND[account.kind])
    invalid = roles - valid
    if invalid:
        raise RuleViolation(
            _("These roles do not exist for this kind of account: %(roles)s")
            % {"roles": ", ".join(sorted(invalid))},
            code="invalid_role",
            fields={"roles": [_("Allowed: %(roles)s") % {"roles": ", ".join(sorted(valid))}]},
        )
    return roles


def _enforce_ceiling(actor: User, account: Account, roles: set[str]) -> None:
    """ACC-3: an admin never hands out more than it holds."""
    access.require(actor, "manage_members", account)
    grantable = grantable_roles(actor, account)
    beyond = roles - grantable
    if beyond:
        raise RuleViolation(
            _("You cannot hand out roles with more rights than you hold yourself: %(roles)s")
            % {"roles": ", ".join(sorted(beyond))},
            code="rights_ceiling",
            fields={"roles": [_("Beyond your own rights.")]},
        )


def _set_roles(account: Account, user: User, roles: set[str]) -> tuple[set[str], set[str]]:
    current = set(Membership.objects.filter(account=account, user=user).values_list("role", flat=True))
    added, removed = roles - current, current - roles
    Membership.objects.filter(account=account, user=user, role__in=removed).delete()
    Membership.objects.bulk_create([Membership(account=account, user=user, role=r) for r in added])
    access.forget(user)
    return added, removed


def _lock_owners(account: Account) -> int:
    # Lock the account row: two owners removing each other must not both pass the last-owner check.
    Account.objects.select_for_update().get(pk=account.pk)
    return Membership.objects.filter(account=account, role=Role.OWNER).count()


def send_invitation_mail(*, user: User, account: Account, invited_by: User | None) -> bool:
    """The body of ``accounts.tasks.send_invitation_mail``: once per outbox job, in the invited user's language."""
    link = absolute(
        reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    )
    context = {"user": user, "account": account, "invited_by": invited_by, "link": link, "name": user.name}
    # In the invited user's language (their setting), in the frame of every portal mail.
    return send_portal_mail(
        to=user.email,
        language=user.language,
        subject=lambda: _("Invitation to the account %(account)s") % {"account": account.name},
        template="accounts/mail/invitation.txt",
        context=context,
    )


def _invite_after_commit(*, user: User, account: Account, invited_by: User | None) -> None:
    enqueue(
        "accounts.tasks.send_invitation_mail",
        user_id=user.pk,
        account_id=account.pk,
        invited_by_id=invited_by.pk if invited_by is not None else None,
    )


def _throttle_invitation(actor: User, email: str) -> None:
    """Invitation mails are rate-limited per inviting user and per invited address (portal.ratelimit)."""
    ratelimit.hit("invitation_user", str(actor.pk))
    ratelimit.hit("invitation_target", email)


@transaction.atomic
def throttle_password_reset(*, email: str, client_address: str | None) -> None:
    """Count one password-reset request per typed address and per client address; raise RateLimited (429)
    past either rate. Counted whether or not the address belongs to a user: the answer must not tell."""
    ratelimit.hit("password_reset_target", (email or "").strip().lower()[:64])
    ratelimit.hit("password_reset_client", client_address or "unknown")


@transaction.atomic
def invite_member(
    *, actor: User, account: Account, email: str, roles: list[str], name: str = ""
) -> Membership | MembershipInvitation:
    """Invite someone into the account with roles (ACC-2, ACC-3, ACC-6).

    A new address becomes a user and a member at once, with a set-your-password mail (sign-up by
    invitation). An existing user gets a MembershipInvitation to accept (accounts.invitations): until then
    nothing changes for them. Rate-limited per inviting user and per invited address.
    """
    roles = _validate_roles(account, roles)
    _enforce_ceiling(actor, account, roles)
    email = _clean_email(email)
    name = clean_single_line(name, "name")
    _throttle_invitation(actor, email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and Membership.objects.filter(account=account, user=user).exists():
        raise InvalidTransition(
            _("%(email)s is already a member of this account; change the roles instead.") % {"email": email},
            code="already_member",
            fields={"email": [_("Already a member.")]},
        )
    if user is not None:
        # Issue 10: an existing user is asked first; no membership, no switched account before the answer.
        return invitations.create_invitation(actor=actor, account=account, user=user, roles=roles)
    user = User.objects.create_user(email=email, name=name, language=getattr(actor, "language", "de"))
    _set_roles(account, user, roles)
    record_event(
        actor=actor,
        action="membership.invited",
        target=account,
        data={"email": email, "roles": sorted(roles), "new_user": True},
    )
    _invite_after_commit(user=user, account=account, invited_by=actor)
    return Membership.objects.filter(account=account, user=user).first()


@transaction.atomic
def change_roles(*, actor: User, account: Account, user: User, roles: list[str]) -> set[str]:
    roles = _validate_roles(account, roles)
    current = set(Membership.objects.filter(account=account, user=user).values_list("role", flat=True))
    if not current:
        raise RuleViolation(_("This user is not a member of the account."), code="not_a_member")
    # The ceiling applies to what is added and to what is taken away.
    _enforce_ceiling(actor, account, roles ^ current)
    owners = _lock_owners(account)
    if Role.OWNER in current and Role.OWNER not in roles and owners <= 1:
        raise InvalidTransition(
            _("The last owner cannot give up the owner role. Make someone else owner first."),
            code="last_owner",
        )
    added, removed = _set_roles(account, user, roles)
    record_event(
        actor=actor,
        action="membership.roles_changed",
        target=account,
        data={"email": user.email, "added": sorted(added), "removed": sorted(removed)},
    )
    return roles


@transaction.atomic
def remove_member(*, actor: User, account: Account, user: User) -> None:
    current = set(Membership.objects.filter(account=account, user=user).values_list("role", flat=True))
    if not current:
        raise RuleViolation(_("This user is not a member of the account."), code="not_a_member")
    if actor.pk != user.pk:
        _enforce_ceiling(actor, account, current)
    owners = _lock_owners(account)
    if Role.OWNER in current and owners <= 1:
        raise InvalidTransition(
            _("The last owner cannot be removed. Make someone else owner first."), code="last_owner"
        )
    _set_roles(account, user, set())
    record_event(
        actor=actor,
        action="membership.removed",
        target=account,
        data={"email": user.email, "roles": sorted(current)},
    )


@transaction.atomic
def create_customer_for_partner(*, actor: User, partner: Account, name: str, contact_email: str) -> Account:
    """A partner's ``sales`` member creates a customer account (TEN-7 "new tenant" for a new customer): the
    partner becomes its reseller (so it manages the account), and the contact is invited to become owner
    (created if new; the set-your-password mail goes out after commit)."""
    access.require(actor, "resell", partner)
    if partner.kind != AccountKind.PARTNER:
        raise RuleViolation(_("Only partners create customer accounts."), code="not_a_partner")
    if not (contact_email or "").strip():
        raise RuleViolation(
            _("The new customer needs a contact e-mail: the contact is invited to become its owner."),
            code="contact_email_required",
            fields={"contact_email": [_("Required.")]},
        )
    account = create_account(
        actor=actor,
        name=name,
        kind=AccountKind.CUSTOMER,
        purpose=AccountPurpose.PRODUCTION,
        contact_email=contact_email,
        reseller=partner,
    )
    email = account.contact_email
    _throttle_invitation(actor, email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        # Issue 10: an existing contact is asked to become owner; nothing changes for them before they accept.
        invitations.create_invitation(
            actor=actor, account=account, user=user, roles={Role.OWNER}, acting_account=partner
        )
        return account
    created = True
    user = User.objects.create_user(email=email, language=getattr(actor, "language", "de"))
    _set_roles(account, user, {Role.OWNER})
    record_event(
        actor=actor,
        action="membership.invited",
        target=account,
        acting_account=partner,
        data={"email": email, "roles": [Role.OWNER], "new_user": created, "partner": partner.number},
    )
    _invite_after_commit(user=user, account=account, invited_by=actor)
    return account


@transaction.atomic
def add_membership(*, account: Account, user: User, roles: list[str]) -> None:
    """System path (demo data, sign-up of a new customer's owner): no actor, no ceiling."""
    roles = _validate_roles(account, roles)
    current = set(Membership.objects.filter(account=account, user=user).values_list("role", flat=True))
    _set_roles(account, user, roles | current)


def set_language(*, user: User, language: str) -> User:
    if language not in ("de", "en"):
        raise RuleViolation(
            _("Unknown language."), code="invalid_language", fields={"language": [_("de or en")]}
        )
    user.language = language
    user.save(update_fields=["language"])
    return user


@transaction.atomic
def update_user(*, actor: User, user: User, **changes) -> User:
    """The admin's change of a user (issue 8 §5): name, language, active — superusers only (the authority's
    ``manage`` on users), audited; deactivating ends every session and API token. Roles are memberships
    (change_roles), the staff and superuser flags are not changed here."""
    user = User.objects.select_for_update().get(pk=user.pk)
    access.require(actor, "manage", user)
    unknown = set(changes) - {"name", "language", "is_active"}
    if unknown:
        raise RuleViolation(
            _("These fields cannot be changed here."),
            code="field_not_changeable",
            fields={field: [_("Not changeable.")] for field in sorted(unknown)},
        )
    if "name" in changes:
        changes["name"] = clean_single_line(changes["name"], "name")
    if "language" in changes and changes["language"] not in ("de", "en"):
        raise RuleViolation(
            _("Unknown language."), code="invalid_language", fields={"language": [_("de or en")]}
        )
    if changes.get("is_active") is False and user.pk == actor.pk:
        raise RuleViolation(
            _("You cannot deactivate yourself."), code="cannot_deactivate_self", fields={"is_active": []}
        )
    before = {field: getattr(user, field) for field in changes}
    changed = {field: value for field, value in changes.items() if before[field] != value}
    if not changed:
        return user
    for field, value in changed.items():
        setattr(user, field, value)
    user.save(update_fields=sorted(changed))
    if changed.get("is_active") is False:
        from . import tokens

        tokens.log_out_everywhere(user=user)
    record_event(
        actor=actor,
        action="user.changed",
        target=user,
        data={field: {"from": before[field], "to": value} for field, value in changed.items()},
    )
    return user


def record_password_set(*, actor: User, user: User) -> None:
    """The admin set a user's password (Django's form; the signal ends sessions and tokens): audited."""
    access.require(actor, "manage", user)
    record_event(actor=actor, action="user.password_set", target=user, data={})
