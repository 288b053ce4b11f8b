"""Hand-offs between partner roles on a tenant (TEN-7, UI-1): when sales books services that still need
deploying, the users who may deploy them get a notice (the bell) and see a to-do on their dashboard.

Who may deploy is the authority's answer (``access.can(user, "deploy", tenant)``) over the users that can
reach the tenant at all: members of the partner that created it, of the partner managing its account, and
its active caretakers.
"""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from portal import access, notices

DEPLOY_NEEDED = "tenant_deploy_needed"

notices.register_kind(
    DEPLOY_NEEDED,
    _("%(actor)s booked %(services)s on %(domain)s (%(tenant)s): ready to deploy."),
)


def _candidates(tenant):
    from accounts.models import Membership, User
    from delegations.models import CaretakerGrant, ManagedAccount

    partners = {tenant.reseller_id} if tenant.reseller_id else set()
    partners |= set(
        ManagedAccount.objects.filter(customer_account_id=tenant.account_id, status="active").values_list(
            "partner_account_id", flat=True
        )
    )
    now = timezone.now()
    caretakers = CaretakerGrant.objects.filter(tenant=tenant, status="active").filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return User.objects.filter(
        Q(pk__in=Membership.objects.filter(account_id__in=partners).values("user_id"))
        | Q(pk__in=caretakers.values("caretaker_id")),
        is_active=True,
    ).order_by("pk")


def deployers_of(tenant, *, exclude_user_id: int | None = None) -> list[int]:
    """Users who may deploy on ``tenant`` (the authority decides each)."""
    return [
        user.pk
        for user in _candidates(tenant)
        if user.pk != exclude_user_id and access.can(user, "deploy", tenant)
    ]


def notify_deploy_needed(*, domain_id: int, service_ids: list[int], actor_id: int | None) -> int:
    from accounts.models import User
    from tenants.domains import DomainLabeler
    from tenants.models import BookedService, Domain

    domain = Domain.objects.select_related("tenant").filter(pk=domain_id).first()
    if domain is None:
        return 0
    booked = list(
        BookedService.objects.filter(pk__in=service_ids, status="ordered")
        .select_related("service_type")
        .order_by("number")
    )
    if not booked:
        return 0  # deployed (or cancelled) already: nothing left to hand on
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    sent = 0
    for user_id in deployers_of(domain.tenant, exclude_user_id=actor_id):
        user = User.objects.get(pk=user_id)
        with translation.override(user.language or None):  # service names in the reader's language
            services = ", ".join(f"{b.service_type.name} ({b.number})" for b in booked)
        data = {
            "actor": actor.get_full_name() if actor else "–",
            "services": services,
            "service_numbers": [b.number for b in booked],
            "domain": DomainLabeler(user)(domain),
            "tenant": domain.tenant.number,
        }
        sent += notices.notify(
            [user_id],
            kind=DEPLOY_NEEDED,
            data=data,
            url=reverse("tenant_detail", args=[domain.tenant.number]) + f"#domain-{domain.pk}",
            dedupe_key=f"{DEPLOY_NEEDED}:{booked[0].number}",
        )
    return sent
