"""Hand-offs between partner roles on a tenant (TEN-7, UI-1): when sales books services that still need
deploying, the users who may deploy them get a notice (the bell) and see a to-do on their dashboard.

Who may deploy is the authority's answer: ``access.explain(tenant)`` lists every user with rights on the
tenant and their sources (reseller, managed account, caretaker grant, ...), from the same rules as ``can``.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal import access, notices

DEPLOY_NEEDED = "tenant_deploy_needed"


def _domain_for_reader(data: dict, reader) -> dict:
    """The domain's name as the reader may see it *now* (TEN-4): a domain marked confidential after the
    notice was sent reads masked; notices stored before ``domain_id`` was kept are redacted by tenant."""
    from tenants.masking import Masker, redact
    from tenants.models import Domain

    domain = Domain.objects.filter(pk=data.get("domain_id")).first() if data.get("domain_id") else None
    if domain is not None:
        data["domain"] = Masker(reader)(domain)
    elif data.get("tenant"):
        from tenants.models import Tenant

        tenant_id = Tenant.objects.filter(number=data["tenant"]).values_list("pk", flat=True).first()
        data["domain"] = redact(reader, [tenant_id], [data.get("domain", "")])[0]
    return data


notices.register_kind(
    DEPLOY_NEEDED,
    _("%(actor)s booked %(services)s on %(domain)s (%(tenant)s): ready to deploy."),
    resolve=_domain_for_reader,
)


def deployers_of(tenant, *, exclude_user_id: int | None = None) -> list[int]:
    """Users who may deploy on ``tenant``: the authority's explanation of the tenant (``access.explain``), the
    same rules that decide ``can``. Superusers hold every right but are not the partner's technicians: a
    right that comes only from being superuser does not make someone the one to hand the work to."""
    explanation = access.explain(tenant)
    return [
        user_id
        for user_id, reasons in sorted(explanation.reasons.items())
        if user_id != exclude_user_id
        and any("deploy" in reason.rights and reason.source != "superuser" for reason in reasons)
    ]


def notify_deploy_needed(*, domain_id: int, service_ids: list[int], actor_id: int | None) -> int:
    from accounts.models import User
    from tenants.masking import Masker
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
            "domain": Masker(user)(domain),
            "domain_id": domain.pk,
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
