"""The combination rule: how the registered sources answer every question.

A user holds action A on object O if any source of O's model gives A to the user on O (rights only add up;
there are no denials), or the user is a superuser and A is among the model's superuser actions, or the actor
is the system. For each (source, action) there is exactly one constraint, built from the source's data:

- ``visible(user, M, A)``  = M filtered by the OR of the constraints;
- ``can(user, A, obj)``    = the same filter narrowed to ``obj.pk`` (``exists()``), as NetBox derives an object
  check from the list's constraint;
- ``rights(user, obj)``    = every action at once: the same constraints as boolean columns of one row;
- ``explain(obj)``         = the same source rows, read from the object's side: who holds what, and why.

A child model (Domain → Tenant) asks its parent's constraint through its path, so there is nothing to keep
in sync. Requirements on the holder ("deploys only with the partner role tech") are evaluated on the same
memberships for lists, objects and explanations.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from dataclasses import dataclass, field
from functools import reduce
from itertools import product
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext as _

from portal.errors import NotFound, NotPermitted

from .registry import REGISTRY, MembershipSource, RowSource, Source, actions_of, sources_of
from .subjects import MEMBERSHIPS, SYSTEM, Subject, is_person, membership_rows, subject, subjects_of

M = TypeVar("M", bound=models.Model)


class _All:
    """Every object of the model (vendor staff viewing, superusers, the system)."""

    def __repr__(self) -> str:
        return "ALL"


ALL = _All()


# --- One constraint per (source, action) -------------------------------------------------------------------


def _key_condition(lookups: tuple[str, ...], keys: list) -> Q:
    """Rows whose key is one of ``keys``. A composite key that is a full product (roles × scopes) becomes
    ``a IN (…) AND b IN (…)``; otherwise an OR of the tuples."""
    if len(lookups) == 1:
        return Q(**{f"{lookups[0]}__in": keys})
    columns = [sorted({key[i] for key in keys}) for i in range(len(lookups))]
    if set(product(*columns)) == set(keys):
        return reduce(
            operator.and_,
            (Q(**{f"{lookup}__in": values}) for lookup, values in zip(lookups, columns, strict=True)),
        )
    return reduce(operator.or_, (Q(**dict(zip(lookups, key, strict=True))) for key in keys))


def _source_condition(source: Source, subj: Subject, user, action: str) -> Q | _All | None:
    requirement = source.requires.get(action)
    if requirement is not None and not requirement(subj):
        return None
    keys = source.keys_for(action)
    if not keys:
        return None
    condition: Q | _All
    if isinstance(source, MembershipSource):
        wanted = set(keys)
        accounts = sorted(
            account_id
            for account_id, roles in subj.roles.items()
            if any((subj.kinds.get(account_id), role) in wanted for role in roles)
        )
        if not accounts:
            return None
        condition = ALL if source.target_field is None else Q(**{f"{source.target_field}__in": accounts})
    elif isinstance(source, RowSource):
        match = Q(**{source.user: getattr(user, source.user_field)})
        if source.key:
            match &= _key_condition(source.key, keys)
        elif None not in keys:
            return None
        rows = source.rows().filter(match)  # one filter(): multi-valued joins refer to the same row
        if source.target_field is None:
            if not rows.exists():
                return None
            condition = ALL
        else:
            condition = Q(**{f"{source.target_field}__in": rows.values(source.link)})
    else:  # pragma: no cover - the registry only accepts the two kinds
        raise TypeError(type(source).__name__)
    if source.where is not None:
        return source.where if condition is ALL else condition & source.where
    return condition


def _base_condition(user, model: type[models.Model], action: str) -> Q | _All | None:
    if user is SYSTEM:
        return ALL
    if not is_person(user):
        return None
    if action not in REGISTRY.actions[model]:
        raise ValueError(f"Unknown action {action!r} on {model.__name__}")
    subj = subject(user)
    if subj.is_superuser and action in REGISTRY.superuser_actions[model]:
        return ALL
    parts = []
    for source in sources_of(model):
        condition = _source_condition(source, subj, user, action)
        if condition is ALL:
            return ALL
        if condition is not None:
            parts.append(condition)
    return reduce(operator.or_, parts) if parts else None


def condition(user, model: type[models.Model], action: str = "view") -> Q | _All | None:
    """The constraint on ``model``'s rows under which ``user`` holds ``action`` (ALL, a Q, or None: nothing)."""
    child = REGISTRY.children.get(model)
    if child is None:
        return _base_condition(user, model, action)
    try:
        parent_action = child.actions[action]
    except KeyError:
        raise ValueError(f"Unknown action {action!r} on {model.__name__}") from None
    parent_condition = condition(user, child.parent, parent_action)
    if parent_condition is None or parent_condition is ALL:
        return parent_condition
    parents = child.parent._default_manager.filter(parent_condition).values("pk")
    return Q(**{f"{child.path}__in": parents})


# --- Lists, objects, all rights of one object ------------------------------------------------------------


def visible(user, model: type[M], action: str = "view") -> QuerySet[M]:
    """Objects of ``model`` on which ``user`` holds ``action``. Unseen objects answer 404."""
    manager = model._default_manager
    constraint = condition(user, model, action)
    if constraint is None:
        return manager.none()
    if constraint is ALL:
        return manager.all()
    return manager.filter(constraint)


def can(user, action: str, obj: models.Model) -> bool:
    """Does ``user`` hold ``action`` on ``obj``? The list's constraint narrowed to the object."""
    constraint = condition(user, type(obj), action)
    if constraint is None or obj.pk is None:
        return obj.pk is None and user is SYSTEM
    if constraint is ALL:
        return True
    return type(obj)._default_manager.filter(constraint, pk=obj.pk).exists()


def rights(user, obj: models.Model) -> frozenset[str]:
    """Every action ``user`` holds on ``obj``, in one query (the constraints as boolean columns)."""
    model = type(obj)
    held: set[str] = set()
    pending: dict[str, Q] = {}
    for action in actions_of(model):
        constraint = condition(user, model, action)
        if constraint is ALL:
            held.add(action)
        elif constraint is not None:
            pending[action] = constraint
    if pending and obj.pk is not None:
        columns = {
            f"_may_{i}": ExpressionWrapper(c, output_field=BooleanField())
            for i, c in enumerate(pending.values())
        }
        row = model._default_manager.filter(pk=obj.pk).annotate(**columns).values(*columns).first()
        if row is not None:
            held.update(action for i, action in enumerate(pending) if row[f"_may_{i}"])
    return frozenset(held)


def with_rights(queryset: QuerySet[M], user, actions: tuple[str, ...] | list[str]) -> QuerySet[M]:
    """Annotate each row with ``may_<action>`` booleans (row buttons of a list), from the same constraints."""
    annotations: dict[str, Any] = {}
    for action in actions:
        constraint = condition(user, queryset.model, action)
        if constraint is ALL:
            annotations[f"may_{action}"] = models.Value(True, output_field=BooleanField())
        elif constraint is None:
            annotations[f"may_{action}"] = models.Value(False, output_field=BooleanField())
        else:
            annotations[f"may_{action}"] = ExpressionWrapper(constraint, output_field=BooleanField())
    return queryset.annotate(**annotations)


def require(user, action: str, obj: models.Model) -> None:
    """NotFound if ``user`` cannot see ``obj``; NotPermitted if it sees it but may not do ``action``."""
    if action != "view" and can(user, action, obj):
        return
    if not can(user, "view", obj):
        raise NotFound()
    if action != "view":
        raise NotPermitted(_("Your role does not allow this here."), code="not_permitted")


def has_perm(user, perm: str, obj: models.Model) -> bool:
    """``user.has_perm("tenants.view_tenant", tenant)``, answered by the authority (registered codenames)."""
    mapping = REGISTRY.permissions.get(perm)
    if mapping is None:
        return False
    model, action = mapping
    return isinstance(obj, model) and can(user, action, obj)


def can_any(user, model: type[models.Model], action: str = "view") -> bool:
    """Does ``user`` hold ``action`` on at least one object of ``model``? (Menus: "support lookup", prices.)"""
    constraint = condition(user, model, action)
    if constraint is None:
        return False
    return constraint is ALL or model._default_manager.filter(constraint).exists()


def role_rights(kind: str, role: str) -> frozenset[tuple[str, str, str]]:
    """Everything a role of an account of ``kind`` gives, across every registered membership source, as
    (model, source, action) — what the rights ceiling (ACC-3) compares."""
    return frozenset(
        (model.__name__, source.name, action)
        for model, sources in REGISTRY.sources.items()
        for source in sources
        if isinstance(source, MembershipSource)
        for action in source.rights.get((kind, role), ())
    )


# --- Explanations --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One source giving one user rights on an object, with what ``explain`` can say about it."""

    source: str
    label: Any
    rights: frozenset[str]
    details: dict = field(default_factory=dict)
    via: str = ""  # the source is a delegation recorded in the audit as this field (Source.via)


@dataclass
class Explanation:
    """Who can reach an object and why: user id → reasons (each with its rights)."""

    obj: models.Model
    reasons: dict[int, list[Reason]] = field(default_factory=dict)

    def rights_of(self, user_id: int) -> frozenset[str]:
        return frozenset().union(*(reason.rights for reason in self.reasons.get(user_id, ())))

    def holders(self, action: str = "view") -> list[int]:
        return sorted(user_id for user_id in self.reasons if action in self.rights_of(user_id))

    def users(self) -> dict[int, Any]:
        return get_user_model()._default_manager.in_bulk(list(self.reasons))


def _target_values(obj: models.Model, sources: list[Source]) -> dict | None:
    """The object's link values and ``where`` flags for these sources, in one query."""
    fields = sorted({s.target_field for s in sources if s.target_field is not None})
    flags = {
        f"_where_{i}": ExpressionWrapper(s.where, output_field=BooleanField())
        for i, s in enumerate(sources)
        if s.where is not None
    }
    queryset = type(obj)._default_manager.filter(pk=obj.pk)
    if flags:
        queryset = queryset.annotate(**flags)
    return queryset.values(*fields, *flags).first()


def _raw_reasons(obj: models.Model, sources: list[Source], user) -> list[tuple[int, Source, frozenset, dict]]:
    if obj.pk is None:
        return []
    values = _target_values(obj, sources)
    if values is None:
        return []
    found: list[tuple[int, Source, frozenset, dict]] = []
    user_model = get_user_model()
    for i, source in enumerate(sources):
        if source.where is not None and not values[f"_where_{i}"]:
            continue
        link_value = values[source.target_field] if source.target_field is not None else None
        if source.target_field is not None and link_value is None:
            continue
        if isinstance(source, MembershipSource):
            filters: dict = {f"{MEMBERSHIPS.kind}__in": sorted({kind for kind, _role in source.rights})}
            if source.target_field is not None:
                filters[MEMBERSHIPS.account] = link_value
            if user is not None:
                filters[MEMBERSHIPS.user] = user.pk
            for user_id, account_id, kind, role in membership_rows(**filters):
                granted = source.rights.get((kind, role))
                if granted:
                    found.append((user_id, source, granted, {"account_id": account_id, "role": role}))
            continue
        rows = source.rows()
        if source.target_field is not None:
            rows = rows.filter(**{source.link: link_value})
        if user is not None:
            rows = rows.filter(**{source.user: getattr(user, source.user_field)})
        width = len(source.key)
        holders: list[tuple[Any, frozenset, dict]] = []
        for row in rows.values_list(source.user, *source.key, *source.details):
            key = None if width == 0 else row[1] if width == 1 else tuple(row[1 : 1 + width])
            granted = source.rights.get(key)
            if granted:
                holders.append((row[0], granted, dict(zip(source.details, row[1 + width :], strict=True))))
        if source.user_field != "pk" and holders:
            by_value = dict(
                user_model._default_manager.filter(
                    **{f"{source.user_field}__in": {h[0] for h in holders}}
                ).values_list(source.user_field, "pk")
            )
            holders = [(by_value[h[0]], h[1], h[2]) for h in holders if h[0] in by_value]
        found.extend((user_id, source, granted, details) for user_id, granted, details in holders if user_id)
    return found


def explain(obj: models.Model, *, user=None) -> Explanation:
    """Every active user who holds rights on ``obj`` (or only ``user``), each right with its source —
    computed from the same source rows as ``visible`` and ``can`` (the property test proves they agree)."""
    model = type(obj)
    child = REGISTRY.children.get(model)
    if child is not None:
        parent = obj
        for part in child.path.split("__"):
            parent = getattr(parent, part)
        parent_explanation = explain(parent, user=user)
        mapped = Explanation(obj=obj)
        for user_id, reasons in parent_explanation.reasons.items():
            for reason in reasons:
                granted = frozenset(a for a, needed in child.actions.items() if needed in reason.rights)
                if granted:
                    mapped.reasons.setdefault(user_id, []).append(
                        Reason(reason.source, reason.label, granted, reason.details, reason.via)
                    )
        return mapped
    if user is not None and (user is SYSTEM or not is_person(user)):
        return Explanation(obj=obj)
    sources = sources_of(model)
    raw = _raw_reasons(obj, sources, user)
    user_model = get_user_model()
    people = user_model._default_manager.filter(is_active=True)
    if user is not None:
        people = people.filter(pk=user.pk)
    else:
        people = people.filter(Q(pk__in={r[0] for r in raw}) | Q(is_superuser=True))
    active = dict(people.values_list("pk", "is_superuser"))
    holders = subjects_of(
        {r[0] for r in raw if r[0] in active}, superusers=[pk for pk, sup in active.items() if sup]
    )
    by_user: dict[int, list[Reason]] = defaultdict(list)
    for user_id, source, granted, details in raw:
        if user_id not in active:
            continue
        kept = frozenset(
            action
            for action in granted
            if source.requires.get(action) is None or source.requires[action](holders[user_id])
        )
        if kept:
            by_user[user_id].append(Reason(source.name, source.label, kept, details, source.via))
    superuser_actions = REGISTRY.superuser_actions[model]
    if superuser_actions:
        for user_id, is_superuser in active.items():
            if is_superuser:
                by_user[user_id].append(Reason("superuser", _("Superuser"), superuser_actions, {}))
    return Explanation(obj=obj, reasons=dict(by_user))


def why(user, obj: models.Model) -> list[Reason]:
    """The reasons ``user`` reaches ``obj`` ("Your access")."""
    if not is_person(user):
        return []
    return explain(obj, user=user).reasons.get(user.pk, [])


def delegation_used(user, obj: models.Model) -> tuple[str, int] | None:
    """(audit field, row id) of the delegation through which ``user`` acts on ``obj`` — only when nothing else
    gives the user its standing there (a member or partner acting is not acting through a grant; DEL-7)."""
    reasons = why(user, obj)
    if not reasons or any(not reason.via for reason in reasons):
        return None
    reason = reasons[0]
    return reason.via, reason.details.get("pk")
