"""The registry: which models the authority decides for, their actions, and the sources of rights on them.

Apps fill it in their ``AppConfig.ready()`` (accounts: memberships and vendor staff; tenants: own accounts and
resellers; delegations: managed accounts and caretaker grants; licences and support: their own). Nothing
here knows an app.

A *source* is one reason a user may hold rights on an object — "member of the owning account with role R",
"member of the partner that manages the customer with scope S", "caretaker of an active grant". It is
written once, as data: which rows give rights (``rows``), whose rights they are (``user``), which objects
they reach (``link`` = the objects whose ``target_field`` equals the row's ``link`` value), and which rights
each row gives (``rights``, looked up by the row's ``key``). The engine derives from this one definition the
list filter (``visible``), the single-object check (``can``, the list's constraint narrowed to the object) and
the explanation (``explain``, the same rows read from the object's side).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q, QuerySet

from .subjects import Subject

# A condition a holder must meet for one action, whatever the row says, e.g. "deploys only with the
# partner role tech" (DEL-3). Evaluated on the holder's memberships, the same way for lists and objects.
Requirement = Callable[[Subject], bool]


@dataclass(frozen=True, eq=False)
class Source:
    """Common part of every source of rights on ``model``.

    ``target_field``: the target's field (a lookup, may cross relations) matched against the row's link
    value; ``None`` means every object of the model. ``where``: only targets matching this Q. ``rights``:
    key → actions. ``requires``: action → Requirement. ``label``: how ``explain`` names the source.
    """

    model: type[models.Model]
    name: str
    rights: Mapping[Any, frozenset[str]]
    target_field: str | None = "pk"
    where: Q | None = None
    requires: Mapping[str, Requirement] = field(default_factory=dict)
    label: Any = ""
    # A delegated source names the audit field that records its row when someone acts only through it
    # (DEL-7: "grant" — what a caretaker did names the grant used).
    via: str = ""

    def keys_for(self, action: str) -> list:
        return [key for key, actions in self.rights.items() if action in actions]

    def all_actions(self) -> frozenset[str]:
        return frozenset().union(*self.rights.values()) if self.rights else frozenset()


@dataclass(frozen=True, eq=False)
class MembershipSource(Source):
    """Members of an account, by (account kind, role), hold ``rights[(kind, role)]`` on the targets whose
    ``target_field`` is that account (``"account_id"`` for a tenant's own account, ``"reseller_id"`` for a
    partner's resold tenants, ``"pk"`` for the account itself), or on every target if ``target_field`` is
    None (vendor staff). Read from the user's memberships, which the request loads once."""


@dataclass(frozen=True, eq=False)
class RowSource(Source):
    """Rows of some model give rights: ``rows()`` the live rows (evaluated at call time, so "now" is now),
    ``user`` the row lookup naming the holder (matched against the user's ``user_field``: ``"pk"``, or
    ``"email"`` for invitations to addresses without an account yet), ``link`` the row lookup matched
    against the target's ``target_field``, ``key`` the row lookups whose values pick ``rights`` (one lookup:
    the value itself; several: a tuple; none: ``rights[None]``), ``details`` the row lookups that
    ``explain`` reports (grant id, scope, expiry, ...)."""

    rows: Callable[[], QuerySet] = None  # type: ignore[assignment]
    user: str = "user_id"
    user_field: str = "pk"
    link: str | None = "pk"
    key: tuple[str, ...] = ()
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Child:
    """A model whose rights are its parent's: ``path`` leads from it to the parent, ``actions`` maps each of
    its actions to the parent's action it needs (default: the same name)."""

    model: type[models.Model]
    parent: type[models.Model]
    path: str
    actions: Mapping[str, str]


@dataclass
class Registry:
    actions: dict[type[models.Model], tuple[str, ...]] = field(default_factory=dict)
    sources: dict[type[models.Model], list[Source]] = field(default_factory=dict)
    children: dict[type[models.Model], Child] = field(default_factory=dict)
    permissions: dict[str, tuple[type[models.Model], str]] = field(default_factory=dict)
    superuser_actions: dict[type[models.Model], frozenset[str]] = field(default_factory=dict)


REGISTRY = Registry()


def register_model(
    model: type[models.Model],
    actions: tuple[str, ...],
    *,
    superuser: tuple[str, ...] | None = None,
    permissions: Mapping[str, str] | None = None,
) -> None:
    """Put ``model`` under the authority with its action vocabulary.

    ``superuser``: the actions a superuser holds (default all; e.g. nobody accepts a grant on a caretaker's
    behalf). ``permissions``: Django permission codenames answered by ``user.has_perm(perm, obj)`` through
    the authority (``{"view_tenant": "view"}``); the authority's backend maps them to actions.
    """
    if "view" not in actions:
        raise ValueError(f"{model.__name__}: every model has the action 'view'")
    REGISTRY.actions[model] = tuple(actions)
    REGISTRY.sources.setdefault(model, [])
    REGISTRY.superuser_actions[model] = frozenset(actions if superuser is None else superuser)
    for codename, action in (permissions or {}).items():
        REGISTRY.permissions[f"{model._meta.app_label}.{codename}"] = (model, action)


def register_source(source: Source) -> None:
    if source.model not in REGISTRY.actions:
        raise ValueError(f"Register {source.model.__name__} with register_model() before its sources")
    unknown = source.all_actions() - set(REGISTRY.actions[source.model])
    if unknown:
        raise ValueError(f"{source.name} on {source.model.__name__}: unknown actions {sorted(unknown)}")
    if isinstance(source, RowSource) and source.rows is None:
        raise ValueError(f"{source.name}: a RowSource needs rows")
    if any(existing.name == source.name for existing in REGISTRY.sources[source.model]):
        raise ValueError(f"{source.name} is registered on {source.model.__name__} already")
    REGISTRY.sources[source.model].append(source)


def register_child(
    model: type[models.Model],
    parent: type[models.Model],
    path: str,
    *,
    actions: Mapping[str, str] | None = None,
) -> None:
    """``model``'s rights are ``parent``'s (Domain → Tenant by "tenant"); ``actions`` maps the child's actions
    to the parent's (Offer: {"view": "view_billing"}); by default the child has the parent's actions."""
    if parent not in REGISTRY.actions:
        raise ValueError(f"Register {parent.__name__} before its child {model.__name__}")
    mapping = dict(actions) if actions is not None else {a: a for a in REGISTRY.actions[parent]}
    if "view" not in mapping:
        raise ValueError(f"{model.__name__}: a child needs the action 'view'")
    unknown = set(mapping.values()) - set(REGISTRY.actions[parent])
    if unknown:
        raise ValueError(f"{model.__name__}: unknown parent actions {sorted(unknown)}")
    REGISTRY.children[model] = Child(model=model, parent=parent, path=path, actions=mapping)


def actions_of(model: type[models.Model]) -> tuple[str, ...]:
    child = REGISTRY.children.get(model)
    if child is not None:
        return tuple(child.actions)
    try:
        return REGISTRY.actions[model]
    except KeyError:
        raise ValueError(f"{model.__name__} is not registered with the access authority") from None


def registered_models() -> list[type[models.Model]]:
    return [*REGISTRY.actions, *REGISTRY.children]


def sources_of(model: type[models.Model]) -> list[Source]:
    return REGISTRY.sources.get(model, [])
