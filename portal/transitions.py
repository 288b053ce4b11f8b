"""State machines as one table per stateful model (issue 8 §6): the services, the HTML buttons and the API's
``actions`` field all read the same table, so they cannot disagree.

A ``Transition`` names an action, the states it starts from, the state it leads to, and optionally a guard on
the object (e.g. "vendor staff dissolve only after the partner was notified") with the refusal to give when
the guard fails. ``StateMachine.require(obj, action)`` raises ``InvalidTransition`` (409) with the table's code
and message; ``available(obj)`` lists what the object's state allows now; ``actions_for(user, obj)`` keeps
those the access authority allows the user (one ``access.rights`` query). Who may act is the authority's
question, when is this table's: services ask both, after locking the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal import access
from portal.errors import InvalidTransition


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str | None  # None: the state does not change (extend, notify)
    code: str  # refusal when the state does not allow it
    detail: Any  # the refusal's message (lazy text)
    guard: Callable[[Any], bool] | None = None
    guard_code: str = ""
    guard_detail: Any = ""
    guard_error: type = InvalidTransition  # RuleViolation (400) where the caller must do something first


class StateMachine:
    def __init__(self, *transitions: Transition, state: Callable[[Any], str] | None = None) -> None:
        self.transitions = {t.action: t for t in transitions}
        if len(self.transitions) != len(transitions):
            raise ValueError("Each action appears once in a transition table")
        self._state = state or (lambda obj: obj.status)

    def state(self, obj) -> str:
        return self._state(obj)

    def transition(self, action: str) -> Transition:
        try:
            return self.transitions[action]
        except KeyError:
            raise ValueError(f"No transition {action!r}") from None

    def allowed(self, obj, action: str) -> bool:
        transition = self.transition(action)
        return self.state(obj) in transition.sources and (transition.guard is None or transition.guard(obj))

    def require(self, obj, action: str) -> Transition:
        """Raise InvalidTransition unless the object's state (and guard) allow ``action``."""
        transition = self.transition(action)
        if self.state(obj) not in transition.sources:
            raise InvalidTransition(transition.detail, code=transition.code)
        if transition.guard is not None and not transition.guard(obj):
            raise transition.guard_error(transition.guard_detail, code=transition.guard_code)
        return transition

    def available(self, obj) -> list[str]:
        return [action for action in self.transitions if self.allowed(obj, action)]

    def actions_for(self, user, obj) -> list[str]:
        """What ``user`` may do to ``obj`` now: the state's transitions that the authority allows."""
        possible = self.available(obj)
        if not possible:
            return []
        if all(hasattr(obj, f"may_{action}") for action in possible):  # rows of access.with_rights lists
            return [action for action in possible if getattr(obj, f"may_{action}")]
        held = access.rights(user, obj)
        return [action for action in possible if action in held]
