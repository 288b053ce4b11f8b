"""Domains and their registered users. Implements TEN-4 (validated, unique among live domains, confidential
in expert mode by partner admins), TEN-6 (billing start when the first user arrives), TEN-7 (add domain
guided or expert: sales only).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from portal import access
from portal.audit import record_event
from portal.errors import InvalidTransition, NotPermitted, RuleViolation

from .. import catalogue
from ..dates import berlin_today
from ..domains import mask_fqdn, normalize_fqdn
from ..masking import Masker
from ..models import BookedService, Domain, RegisteredUser, ServiceStatus, Tenant
from .booking import book_on_locked_domain, lock_domain, resolve_service_types


def _domain_taken(name: str) -> RuleViolation:
    return RuleViolation(
        _("This domain is already registered."),
        code="domain_taken",
        fields={"name": [_("“%(name)s” is already registered.") % {"name": name}]},
    )


@transaction.atomic
def add_domain(
    *,
    actor: User,
    tenant: Tenant,
    name: str,
    service_types: Sequence[str] = (),
    add_dependencies: bool = False,
    expert: bool = False,
    confidential: bool = False,
) -> Domain:
    """Add a domain to a tenant (TEN-7, partner ``sales`` only: the ``book`` right).

    Guided (default): the base service plus the chosen services (codes); missing dependencies raise
    MissingDependencies naming them, or are booked too with ``add_dependencies=True``.
    Expert (``expert=True``): only the base service is booked; ``confidential=True`` is allowed only here and
    only with ``manage_confidential`` (partner admins). Adding a domain costs nothing (TEN-6).
    """
    tenant = Tenant.objects.get(pk=tenant.pk)
    access.require(actor, "book", tenant)
    ascii_name, unicode_name = normalize_fqdn(name)
    if expert and service_types:
        raise RuleViolation(
            _("In expert mode only the base service is booked; add further services afterwards."),
            code="expert_mode_services",
            fields={"service_types": [_("Not in expert mode.")]},
        )
    if confidential:
        if not expert:
            raise RuleViolation(
                _("Domains are marked confidential in expert mode only."),
                code="confidential_expert_only",
                fields={"confidential": [_("Expert mode only.")]},
            )
        if not access.can(actor, "manage_confidential", tenant):
            raise NotPermitted(
                _("Only partner administrators can mark a domain confidential."), code="not_permitted"
            )
    base = catalogue.base_service()
    if base is None:
        raise RuleViolation(_("The service catalogue has no base service."), code="no_base_service")
    chosen = resolve_service_types(service_types)
    chosen = [service_type for service_type in chosen if service_type.pk != base.pk]
    if Domain.objects.filter(name=ascii_name, released_at__isnull=True).exists():
        raise _domain_taken(unicode_name)
    try:
        with transaction.atomic():
            domain = Domain.objects.create(
                tenant=tenant,
                name=ascii_name,
                unicode_name=unicode_name,
                confidential=confidential,
                created_by=actor,
            )
    except IntegrityError as exc:  # registered concurrently: the partial unique constraint decides
        raise _domain_taken(unicode_name) from exc
    domain = lock_domain(domain)
    bookings = book_on_locked_domain(
        actor=actor, domain=domain, service_types=[base, *chosen], add_dependencies=add_dependencies
    )
    record_event(
        actor=actor,
        action="tenant.domain.added",
        target=domain,
        data={
            "domain": str(domain),
            "mode": "expert" if expert else "guided",
            "confidential": confidential,
            "services": [booking.number for booking in bookings],
        },
    )
    return domain


@transaction.atomic
def set_domain_confidential(*, actor: User, domain: Domain, confidential: bool) -> Domain:
    """Mark a domain confidential or not (TEN-4, expert mode): ``manage_confidential`` (partner admins)."""
    domain = lock_domain(domain)
    access.require(actor, "manage_confidential", domain)
    if domain.confidential == confidential:
        return domain
    domain.confidential = confidential
    domain.save(update_fields=["confidential"])
    record_event(
        actor=actor,
        action="tenant.domain.confidential_set",
        target=domain,
        target_repr=mask_fqdn(domain.unicode_name),
        data={"domain": mask_fqdn(domain.unicode_name), "confidential": confidential},
    )
    return domain


def _masked_email(email: str, domain: Domain) -> str:
    """An address on a confidential domain, as the audit trail keeps it."""
    local, _at, _rest = email.partition("@")
    return f"{local}@{domain}" if domain.confidential else email


def _invalid_email() -> RuleViolation:
    return RuleViolation(
        _("Enter a valid e-mail address."),
        code="invalid_email",
        fields={"email": [_("Not a valid address.")]},
    )


def _normalize_email(email: str, domain: Domain, labeler: Masker) -> str:
    """The address to store. A viewer who sees the domain's name masked (TEN-4) writes the mailbox as
    ``local@••••.example.com`` (what the list shows) or just ``local``; any other host — the real name
    included — gets the same ``email_not_on_domain``, so the answer never confirms a guessed name."""
    email = (email or "").strip()
    visible = labeler.name_visible(domain)
    if not visible:
        local, at, host = email.rpartition("@")
        if not at:
            local, host = email, ""
        if host and host.lower() != mask_fqdn(domain.unicode_name).lower():
            raise _not_on_domain(domain, labeler)
        email = f"{local}@{domain.name}"
    try:
        validate_email(email)
    except ValidationError as exc:
        raise _invalid_email() from exc
    local, _at, host = email.rpartition("@")
    try:
        ascii_host = normalize_fqdn(host, field="email")[0]
    except RuleViolation as exc:
        raise _invalid_email() from exc
    if ascii_host != domain.name:
        raise _not_on_domain(domain, labeler)
    return f"{local.lower()}@{ascii_host}"


def _not_on_domain(domain: Domain, labeler: Masker) -> RuleViolation:
    return RuleViolation(
        _("Registered users are mailboxes of the domain: the address must end in @%(domain)s.")
        % {"domain": labeler(domain)},
        code="email_not_on_domain",
        fields={"email": [_("Must end in @%(domain)s.") % {"domain": labeler(domain)}]},
    )


@transaction.atomic
def add_registered_user(*, actor: User, domain: Domain, email: str, name: str = "") -> RegisteredUser:
    """Register a mailbox of the domain (needs ``change``: the partner or the customer maintains the list).

    The domain's first user starts billing of its deployed services that had none (TEN-6: billing starts
    on the date both "deployed" and "has a user" first hold).
    """
    domain = lock_domain(domain)
    access.require(actor, "change", domain)
    if domain.released_at is not None:
        raise InvalidTransition(_("This domain has been released."), code="domain_released")
    address = _normalize_email(email, domain, Masker(actor))
    name = (name or "").strip()[:150]
    first = not domain.registered_users.exists()
    try:
        with transaction.atomic():
            user = RegisteredUser.objects.create(domain=domain, email=address, name=name, created_by=actor)
    except IntegrityError as exc:
        raise RuleViolation(
            _("This user is already registered for the domain."),
            code="user_already_registered",
            fields={"email": [_("Already registered.")]},
        ) from exc
    started: list[str] = []
    if first:
        starting = BookedService.objects.filter(
            domain=domain,
            status__in=[ServiceStatus.DEPLOYED, ServiceStatus.ENDING],
            billing_start__isnull=True,
        )
        started = list(starting.values_list("number", flat=True))
        starting.update(billing_start=berlin_today())
    record_event(
        actor=actor,
        action="tenant.domain.user_added",
        target=domain,
        data={"domain": str(domain), "email": _masked_email(address, domain), "billing_started": started},
    )
    return user


@transaction.atomic
def remove_registered_user(*, actor: User, registered_user: RegisteredUser) -> None:
    """Remove a registered user. The billing start already set stays; with no users left the domain's
    services are not billable until a user is registered again (TEN-6)."""
    domain_id = RegisteredUser.objects.values_list("domain_id", flat=True).get(pk=registered_user.pk)
    domain = lock_domain(domain_id)
    access.require(actor, "change", domain)
    registered_user = RegisteredUser.objects.select_for_update().get(pk=registered_user.pk)
    email = registered_user.email
    registered_user.delete()
    record_event(
        actor=actor,
        action="tenant.domain.user_removed",
        target=domain,
        data={
            "domain": str(domain),
            "email": _masked_email(email, domain),
            "users_left": domain.registered_users.count(),
        },
    )
