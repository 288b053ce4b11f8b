"""Who the user is: the memberships (account, account kind, role) the authority reads rights from.

The accounts app tells the authority which model holds memberships (``register_membership_model``); the
authority reads a user's rows once per request (cached on the user object; ``forget(user)`` after a change)
and a batch of holders' rows for ``explain``. The system actor (scheduled jobs, demo data, management
commands) is ``SYSTEM``: it is allowed everything, and only code that is not acting for a person passes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.db import models


class SystemActor:
    """The portal itself acting (beat jobs, seed_demo, commands): not a person, allowed everything, audited
    as "system". Services refuse ``actor=None``: the system must be named, never implied."""

    pk = None
    id = None
    is_authenticated = True
    is_active = True
    is_superuser = False
    is_staff = False
    email = ""
    language = "de"

    def __str__(self) -> str:
        return "system"

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()


@dataclass(frozen=True)
class Subject:
    """A user's standing for the rules: superuser flag and roles per account."""

    user_id: int | None
    is_superuser: bool = False
    roles: Mapping[int, frozenset[str]] = field(default_factory=dict)
    kinds: Mapping[int, str] = field(default_factory=dict)

    def roles_in_kind(self, kind: str) -> frozenset[str]:
        return frozenset(
            role
            for account_id, roles in self.roles.items()
            if self.kinds.get(account_id) == kind
            for role in roles
        )

    def has_role(self, kind: str, role: str) -> bool:
        return role in self.roles_in_kind(kind)

    def kind_of(self, account_id: int) -> str | None:
        return self.kinds.get(account_id)


ANONYMOUS = Subject(user_id=None)


@dataclass
class _MembershipModel:
    model: type[models.Model] | None = None
    user: str = "user_id"
    account: str = "account_id"
    kind: str = "account__kind"
    role: str = "role"


MEMBERSHIPS = _MembershipModel()


def register_membership_model(
    model: type[models.Model],
    *,
    user: str = "user_id",
    account: str = "account_id",
    kind: str = "account__kind",
    role: str = "role",
) -> None:
    """The accounts app names its membership model: one row per (user, account, role)."""
    MEMBERSHIPS.model = model
    MEMBERSHIPS.user, MEMBERSHIPS.account, MEMBERSHIPS.kind, MEMBERSHIPS.role = user, account, kind, role


def membership_rows(**filters) -> models.QuerySet:
    """(user id, account id, kind, role) rows of the registered membership model."""
    if MEMBERSHIPS.model is None:
        raise RuntimeError("No membership model registered with the access authority")
    return MEMBERSHIPS.model._default_manager.filter(**filters).values_list(
        MEMBERSHIPS.user, MEMBERSHIPS.account, MEMBERSHIPS.kind, MEMBERSHIPS.role
    )


def is_person(user) -> bool:
    return (
        bool(getattr(user, "is_authenticated", False))
        and bool(getattr(user, "is_active", False))
        and (user is not SYSTEM)
    )


def subject(user) -> Subject:
    """The user's subject, read once per user object."""
    if not is_person(user):
        return ANONYMOUS
    cached = getattr(user, "_access_subject", None)
    if cached is not None:
        return cached
    roles: dict[int, set[str]] = defaultdict(set)
    kinds: dict[int, str] = {}
    for _user_id, account_id, kind, role in membership_rows(**{MEMBERSHIPS.user: user.pk}):
        roles[account_id].add(role)
        kinds[account_id] = kind
    result = Subject(
        user_id=user.pk,
        is_superuser=bool(user.is_superuser),
        roles={account_id: frozenset(r) for account_id, r in roles.items()},
        kinds=kinds,
    )
    user._access_subject = result
    return result


def subjects_of(user_ids: Iterable[int], superusers: Iterable[int] = ()) -> dict[int, Subject]:
    """Subjects of many holders at once (for ``explain``): one query."""
    ids = set(user_ids)
    roles: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    kinds: dict[int, dict[int, str]] = defaultdict(dict)
    if ids:
        for user_id, account_id, kind, role in membership_rows(**{f"{MEMBERSHIPS.user}__in": ids}):
            roles[user_id][account_id].add(role)
            kinds[user_id][account_id] = kind
    supers = set(superusers)
    return {
        user_id: Subject(
            user_id=user_id,
            is_superuser=user_id in supers,
            roles={a: frozenset(r) for a, r in roles[user_id].items()},
            kinds=dict(kinds[user_id]),
        )
        for user_id in ids
    }


def forget(user) -> None:
    """Drop the cached subject after the user's memberships changed."""
    if hasattr(user, "_access_subject"):
        del user._access_subject
