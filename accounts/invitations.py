"""Consent to membership (ACC-6, ACC-2; issue 10 §1): an existing user made a member of an account — invited by
its admins, or as contact of a partner's new customer — gets an invitation to accept. Until they accept,
nothing changes for them: no membership, no rights, no new active account. They accept or decline on the
invitation's page (the mail links to it), in the API, or never (it expires after INVITATION_VALIDITY). The
inviting side withdraws a pending invitation. Every step is audited on the account's trail.

New users keep the sign-up by invitation (accounts.services.invite_member): their membership starts with the
set-your-password mail, which is their consent.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal import access
from portal.audit import record_event
from portal.errors import InvalidTransition, NotFound
from portal.text import single_line

from .models import Account, InvitationStatus, Membership, MembershipInvitation, User

INVITATION_VALIDITY = timedelta(days=30)


# --- Who sees and decides: sources of the authority, registered in AccountsConfig.ready() -----------------


def register() -> None:
    """The invitee sees, accepts and declines its own invitation; the account's member managers (roles with
    ``manage_members``) see and withdraw the account's. Nobody accepts on someone else's behalf."""
    from django.utils.translation import gettext_lazy

    from .access import member_source, roles_with

    access.register_model(
        MembershipInvitation, ("view", "accept", "decline", "withdraw"), superuser=("view", "withdraw")
    )
    access.register_source(
        access.RowSource(
            model=MembershipInvitation,
            name="invitee",
            label=gettext_lazy("Invited user"),
            rows=lambda: MembershipInvitation.objects.all(),
            user="user_id",
            link="pk",
            rights={None: frozenset({"view", "accept", "decline"})},
        )
    )
    access.register_source(
        member_source(
            MembershipInvitation,
            "account_id",
            {key: frozenset({"view", "withdraw"}) for key in roles_with("manage_members")},
            name="member_manager",
            label=gettext_lazy("Manages the account's members"),
        )
    )


# --- Reads -------------------------------------------------------------------------------------------------


def invitations_for(user: User, *, pending_only: bool = False) -> QuerySet[MembershipInvitation]:
    queryset = access.visible(user, MembershipInvitation).select_related("account", "invited_by", "user")
    if pending_only:
        queryset = queryset.filter(status=InvitationStatus.PENDING, expires_at__gt=timezone.now())
    return queryset.order_by("-created_at", "-id")


def my_pending_invitations(user: User) -> QuerySet[MembershipInvitation]:
    return invitations_for(user, pending_only=True).filter(user=user)


def dashboard_section(user: User, account) -> dict:
    """The dashboard lists the user's open invitations (portal.selectors.register_dashboard_section)."""
    return {
        "template": "accounts/_dashboard_invitations.html",
        "pending_invitations": list(my_pending_invitations(user)[:10]),
    }


def invitation_for(user: User, pk: int) -> MembershipInvitation:
    invitation = invitations_for(user).filter(pk=pk).first()
    if invitation is None:
        raise NotFound()
    return invitation


# --- Writes ------------------------------------------------------------------------------------------------


def create_invitation(
    *, actor: User, account: Account, user: User, roles: set[str], acting_account: Account | None = None
) -> MembershipInvitation:
    """Called by the inviting services (which checked roles, the rights ceiling and the rate limits) inside
    their transaction. A second invitation while one is pending is refused."""
    try:
        with transaction.atomic():
            invitation = MembershipInvitation.objects.create(
                account=account,
                user=user,
                roles=sorted(roles),
                invited_by=actor,
                acting_account=acting_account,
                expires_at=timezone.now() + INVITATION_VALIDITY,
            )
    except IntegrityError as exc:
        raise InvalidTransition(
            _("%(email)s has been invited already; the invitation waits for an answer.")
            % {"email": user.email},
            code="already_invited",
            fields={"email": [_("Already invited.")]},
        ) from exc
    record_event(
        actor=actor,
        action="membership.invitation_sent",
        target=account,
        acting_account=acting_account,
        data={"email": user.email, "roles": sorted(roles), "invitation": invitation.pk},
    )
    pk = invitation.pk
    transaction.on_commit(lambda: send_invitation_request_mail(pk))
    return invitation


def _lock_pending(invitation: MembershipInvitation) -> MembershipInvitation:
    invitation = MembershipInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise InvalidTransition(_("This invitation is no longer open."), code="invitation_not_pending")
    if invitation.is_expired:
        raise InvalidTransition(
            _("This invitation has expired. Ask the account's administrators for a new one."),
            code="invitation_expired",
        )
    return invitation


@transaction.atomic
def accept_invitation(*, actor: User, invitation: MembershipInvitation) -> MembershipInvitation:
    """The invited user says yes: from now on a member with the invited roles."""
    access.require(actor, "accept", invitation)
    invitation = _lock_pending(invitation)
    from .services import _set_roles

    current = set(
        Membership.objects.filter(account=invitation.account, user=actor).values_list("role", flat=True)
    )
    _set_roles(invitation.account, actor, current | set(invitation.roles))
    invitation.status = InvitationStatus.ACCEPTED
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    record_event(
        actor=actor,
        action="membership.invitation_accepted",
        target=invitation.account,
        acting_account=invitation.account,
        data={"email": actor.email, "roles": sorted(invitation.roles)},
    )
    return invitation


@transaction.atomic
def decline_invitation(*, actor: User, invitation: MembershipInvitation) -> MembershipInvitation:
    access.require(actor, "decline", invitation)
    invitation = _lock_pending(invitation)
    invitation.status = InvitationStatus.DECLINED
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    record_event(
        actor=actor,
        action="membership.invitation_declined",
        target=invitation.account,
        acting_account=None,
        data={"email": actor.email},
    )
    return invitation


@transaction.atomic
def withdraw_invitation(*, actor: User, invitation: MembershipInvitation) -> MembershipInvitation:
    access.require(actor, "withdraw", invitation)
    invitation = MembershipInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != InvitationStatus.PENDING:
        raise InvalidTransition(_("This invitation is no longer open."), code="invitation_not_pending")
    invitation.status = InvitationStatus.WITHDRAWN
    invitation.decided_at = timezone.now()
    invitation.save(update_fields=["status", "decided_at"])
    record_event(
        actor=actor,
        action="membership.invitation_withdrawn",
        target=invitation.account,
        data={"email": invitation.user.email},
    )
    return invitation


def send_invitation_request_mail(invitation_id: int) -> bool:
    """The mail to an existing user: who invites, to which account, with which roles; accept or decline on
    the invitation's page (log-in required)."""
    invitation = (
        MembershipInvitation.objects.filter(pk=invitation_id, status=InvitationStatus.PENDING)
        .select_related("account", "user", "invited_by", "acting_account")
        .first()
    )
    if invitation is None:
        return False
    link = settings.SITE_URL + reverse("invitation_detail", args=[invitation.pk])
    with translation.override(invitation.user.language or "de"):
        subject = single_line(
            _("Invitation to %(account)s in the Partner Portal: please accept or decline")
            % {"account": invitation.account.name}
        )
        body = render_to_string(
            "accounts/mail/invitation_request.txt",
            {"invitation": invitation, "link": link, "roles": ", ".join(invitation.role_labels)},
        )
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[invitation.user.email])
    return True
