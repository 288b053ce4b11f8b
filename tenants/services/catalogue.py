"""The service catalogue (TEN-5): create and change service types and their dependencies.

Vendor administrators maintain the catalogue (Django admin, demo data). The dependency graph stays acyclic:
every change is checked and a cycle is refused naming it (tenants.catalogue; an m2m_changed guard also
covers writes that bypass these services). The base service needs nothing itself, because every other
service implicitly needs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from portal import access
from portal.audit import record_event
from portal.errors import NotPermitted, RuleViolation

from .. import catalogue
from ..models import ServiceType

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _require_catalogue_admin(actor: User) -> None:
    """TEN-5: the vendor's administrators maintain the catalogue (tenants.access, source catalogue_admin)."""
    if not access.can_any(actor, ServiceType, "change"):
        raise NotPermitted(
            _("Only the vendor's administrators maintain the service catalogue."), code="not_permitted"
        )


def _price(value) -> Decimal:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise RuleViolation(
            _("The price must be a number."),
            code="invalid_price",
            fields={"monthly_price": [_("Not a number.")]},
        ) from exc
    if (
        not price.is_finite()
        or price < 0
        or price != price.quantize(Decimal("0.01"))
        or price >= Decimal("1e8")
    ):
        raise RuleViolation(
            _("The monthly price must be a non-negative amount in EUR with at most two decimal places."),
            code="invalid_price",
            fields={"monthly_price": [_("A non-negative amount, two decimal places.")]},
        )
    return price.quantize(Decimal("0.01"))


def _set_requirements(service_type: ServiceType, requires: Iterable[ServiceType]) -> None:
    requires = list(requires)
    if service_type.is_base and requires:
        raise RuleViolation(
            _("The base service cannot require other services: every service requires it."),
            code="base_requires_nothing",
            fields={"requires": [_("Must be empty for the base service.")]},
        )
    if any(required.is_base for required in requires):
        requires = [required for required in requires if not required.is_base]  # implicit anyway
    catalogue.check_acyclic(service_type, requires)
    service_type.requires.set(requires)


@transaction.atomic
def create_service_type(
    *,
    actor: User,
    code: str,
    name: str,
    monthly_price: Decimal | str | int,
    is_base: bool = False,
    requires: Iterable[ServiceType] = (),
    description: str = "",
    position: int = 0,
    active: bool = True,
) -> ServiceType:
    _require_catalogue_admin(actor)
    requires = list(requires)
    code = (code or "").strip().lower()
    if not _CODE.match(code):
        raise RuleViolation(
            _("The code uses lower-case letters, digits and hyphens (at most 40)."),
            code="invalid_code",
            fields={"code": [_("Letters, digits, hyphens.")]},
        )
    name = (name or "").strip()
    if not name:
        raise RuleViolation(
            _("The service needs a name."), code="name_required", fields={"name": [_("Required.")]}
        )
    try:
        with transaction.atomic():
            service_type = ServiceType.objects.create(
                code=code,
                name=name,
                monthly_price=_price(monthly_price),
                is_base=is_base,
                description=description,
                position=position,
                active=active,
            )
    except IntegrityError as exc:
        raise RuleViolation(
            _("A service with this code exists, or there is already an active base service."),
            code="service_type_conflict",
            fields={"code": [_("Already taken.")]},
        ) from exc
    _set_requirements(service_type, requires)
    record_event(
        actor=actor,
        action="tenant.catalogue.service_type_created",
        target=service_type,
        data={"code": code, "price": str(service_type.monthly_price), "requires": [t.code for t in requires]},
    )
    return service_type


@transaction.atomic
def update_service_type(
    *,
    actor: User,
    service_type: ServiceType,
    requires: Iterable[ServiceType] | None = None,
    **changes,
) -> ServiceType:
    """Change ``name``, ``description``, ``monthly_price``, ``is_base``, ``active``, ``position`` and/or
    ``requires``. The code is the stable identifier and cannot change."""
    _require_catalogue_admin(actor)
    allowed = {"name", "description", "monthly_price", "is_base", "active", "position"}
    unknown = set(changes) - allowed
    if unknown:
        raise RuleViolation(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="read_only_field",
        )
    service_type = ServiceType.objects.select_for_update().get(pk=service_type.pk)
    before = {key: str(getattr(service_type, key)) for key in changes}
    if "monthly_price" in changes:
        changes["monthly_price"] = _price(changes["monthly_price"])
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
        if not changes["name"]:
            raise RuleViolation(
                _("The service needs a name."), code="name_required", fields={"name": [_("Required.")]}
            )
    for key, value in changes.items():
        setattr(service_type, key, value)
    if service_type.is_base and service_type.requires.exists() and requires is None:
        raise RuleViolation(
            _("The base service cannot require other services: every service requires it."),
            code="base_requires_nothing",
            fields={"requires": [_("Must be empty for the base service.")]},
        )
    try:
        with transaction.atomic():
            service_type.save()
    except IntegrityError as exc:
        raise RuleViolation(
            _("There is already an active base service."), code="service_type_conflict"
        ) from exc
    if requires is not None:
        _set_requirements(service_type, requires)
    record_event(
        actor=actor,
        action="tenant.catalogue.service_type_changed",
        target=service_type,
        data={
            "from": before,
            "to": {key: str(value) for key, value in changes.items()},
            **({"requires": [t.code for t in service_type.requires.all()]} if requires is not None else {}),
        },
    )
    return service_type
