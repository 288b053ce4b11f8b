"""The audit trail in words (DEL-7, UI-1): each event as a sentence in the reader's language, its changes as
labelled values — never a Python repr, never a raw enum code.

The ground floor imports no app: the sentences are keyed by action code (strings only), and apps register
how their coded values read (``register_value_labels("scope", Scope.choices)``) and where an event's object
is shown (``register_object_link``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.audit import action_label  # noqa: F401 - re-exported for the views

# action → sentence; %(actor)s, %(object)s and any key of the event's changes may be used.
SENTENCES = {
    "account.created": gettext_lazy("%(actor)s created the account %(object)s"),
    "account.changed": gettext_lazy("%(actor)s changed the account %(object)s"),
    "membership.invited": gettext_lazy("%(actor)s invited %(email)s to %(object)s"),
    "membership.roles_changed": gettext_lazy("%(actor)s changed the roles of %(email)s in %(object)s"),
    "membership.removed": gettext_lazy("%(actor)s removed %(email)s from %(object)s"),
    "user.signed_up": gettext_lazy("%(actor)s signed up"),
    "user.changed": gettext_lazy("%(actor)s changed the user %(object)s"),
    "delegation.requested": gettext_lazy(
        "%(actor)s requested %(scope)s caretaker access to %(tenant_number)s"
    ),
    "delegation.request_repeated": gettext_lazy(
        "%(actor)s asked again for caretaker access to %(tenant_number)s"
    ),
    "delegation.granted": gettext_lazy(
        "%(actor)s granted %(caretaker)s %(scope)s caretaker access to %(tenant_number)s"
    ),
    "delegation.link_resent": gettext_lazy(
        "%(actor)s sent the link for %(tenant_number)s to %(caretaker)s again"
    ),
    "delegation.accepted": gettext_lazy(
        "%(actor)s accepted caretaker access of %(caretaker)s to %(tenant_number)s"
    ),
    "delegation.declined": gettext_lazy(
        "%(actor)s declined caretaker access of %(caretaker)s to %(tenant_number)s"
    ),
    "delegation.withdrawn": gettext_lazy(
        "%(actor)s withdrew the caretaker access of %(caretaker)s to %(tenant_number)s"
    ),
    "delegation.revoked": gettext_lazy(
        "%(actor)s revoked caretaker access of %(caretaker)s to %(tenant_number)s"
    ),
    "delegation.resigned": gettext_lazy("%(actor)s resigned as caretaker of %(tenant_number)s"),
    "delegation.extended": gettext_lazy(
        "%(actor)s extended caretaker access of %(caretaker)s to %(tenant_number)s"
    ),
    "delegation.expired": gettext_lazy("Caretaker access of %(caretaker)s to %(tenant_number)s expired"),
    "delegation.lapsed": gettext_lazy("The request of %(caretaker)s for %(tenant_number)s lapsed unanswered"),
    "management.requested": gettext_lazy("%(actor)s asked to manage the account %(object)s"),
    "management.approved": gettext_lazy("%(actor)s approved the management of %(object)s"),
    "management.declined": gettext_lazy("%(actor)s declined the management of %(object)s"),
    "management.withdrawn": gettext_lazy("%(actor)s withdrew the request to manage %(object)s"),
    "management.partner_notified": gettext_lazy(
        "%(actor)s notified the partner before dissolving %(object)s"
    ),
    "management.dissolved": gettext_lazy("%(actor)s dissolved the management of %(object)s"),
    "tenant.created": gettext_lazy("%(actor)s created the tenant %(object)s"),
    "tenant.renamed": gettext_lazy("%(actor)s renamed the tenant %(object)s"),
    "tenant.transfer_requested": gettext_lazy("%(actor)s asked to move the tenant %(object)s"),
    "tenant.transfer_approved": gettext_lazy("%(actor)s approved moving the tenant %(object)s"),
    "tenant.transfer_declined": gettext_lazy("%(actor)s declined moving the tenant %(object)s"),
    "tenant.transferred": gettext_lazy("The tenant %(object)s moved to another account"),
    "tenant.domain.added": gettext_lazy("%(actor)s added the domain %(domain)s"),
    "tenant.domain.confidential_set": gettext_lazy("%(actor)s changed the confidential mark of %(domain)s"),
    "tenant.domain.user_added": gettext_lazy("%(actor)s registered %(email)s on %(domain)s"),
    "tenant.domain.user_removed": gettext_lazy("%(actor)s removed %(email)s from %(domain)s"),
    "tenant.services.booked": gettext_lazy("%(actor)s booked services on %(domain)s"),
    "tenant.service.discount_set": gettext_lazy("%(actor)s set a discount on %(object)s"),
    "tenant.service.cancelled": gettext_lazy("%(actor)s cancelled services on %(domain)s"),
    "tenant.service.ended": gettext_lazy("%(actor)s ended services on %(domain)s"),
    "tenant.services.ended": gettext_lazy("Services ended as scheduled"),
    "tenant.deployed": gettext_lazy("%(actor)s deployed domains and services of %(object)s"),
    "tenant.check.started": gettext_lazy("%(actor)s started the consistency check of %(object)s"),
    "tenant.check.finished": gettext_lazy("The consistency check of %(object)s finished"),
    "tenant.offer.created": gettext_lazy("%(actor)s created the offer %(number)s"),
    "tenant.catalogue.service_type_created": gettext_lazy("%(actor)s added %(object)s to the catalogue"),
    "tenant.catalogue.service_type_changed": gettext_lazy("%(actor)s changed %(object)s in the catalogue"),
}

# Labels of the keys of an event's changes; keys without a label are shown with underscores as spaces.
KEY_LABELS = {
    "kind": gettext_lazy("Kind"),
    "purpose": gettext_lazy("Purpose"),
    "email": gettext_lazy("E-mail"),
    "roles": gettext_lazy("Roles"),
    "added": gettext_lazy("Added"),
    "removed": gettext_lazy("Removed"),
    "new_user": gettext_lazy("New user"),
    "tenant_number": gettext_lazy("Tenant"),
    "scope": gettext_lazy("Scope"),
    "caretaker": gettext_lazy("Caretaker"),
    "reason": gettext_lazy("Reason"),
    "message": gettext_lazy("Message"),
    "expires_at": gettext_lazy("Access ends"),
    "via": gettext_lazy("Via"),
    "from": gettext_lazy("Before"),
    "to": gettext_lazy("After"),
    "environment": gettext_lazy("Environment"),
    "reseller": gettext_lazy("Partner"),
    "domain": gettext_lazy("Domain"),
    "domains": gettext_lazy("Domains"),
    "mode": gettext_lazy("Mode"),
    "confidential": gettext_lazy("Confidential"),
    "services": gettext_lazy("Services"),
    "dependencies_added": gettext_lazy("Added as required"),
    "billing_started": gettext_lazy("Billing started"),
    "users_left": gettext_lazy("Users left"),
    "end_date": gettext_lazy("End date"),
    "ending": gettext_lazy("Ending"),
    "cancelled": gettext_lazy("Cancelled"),
    "rescheduled": gettext_lazy("Rescheduled"),
    "domain_released": gettext_lazy("Domain released"),
    "as_of": gettext_lazy("As of"),
    "run": gettext_lazy("Check run"),
    "findings": gettext_lazy("Findings"),
    "error": gettext_lazy("Errors"),
    "warning": gettext_lazy("Warnings"),
    "info": gettext_lazy("Notes"),
    "number": gettext_lazy("Number"),
    "monthly_total": gettext_lazy("Per month"),
    "annual_total": gettext_lazy("Per year"),
    "lines": gettext_lazy("Lines"),
    "percent": gettext_lazy("Discount (%)"),
    "transfer": gettext_lazy("Transfer"),
    "side": gettext_lazy("Side"),
    "notice": gettext_lazy("Notice"),
    "name": gettext_lazy("Name"),
    "contact_email": gettext_lazy("Contact e-mail"),
    "street": gettext_lazy("Street"),
    "postal_code": gettext_lazy("Postal code"),
    "city": gettext_lazy("City"),
    "country": gettext_lazy("Country"),
    "code": gettext_lazy("Code"),
    "monthly_price": gettext_lazy("Monthly price"),
    "is_base": gettext_lazy("Base service"),
    "requires": gettext_lazy("Requires"),
    "active": gettext_lazy("Offered"),
    "description": gettext_lazy("Description"),
}

# key → {code: label}: coded values (scopes, roles, environments, ...) as words. Apps register theirs.
_VALUE_LABELS: dict[str, dict[str, object]] = {}
# (action or None, key) → func(value) -> str: values that need their app's wording (a grant's end).
_FORMATTERS: dict[tuple[str | None, str], Callable] = {}
# content type "app_label.model" → func(target_id, event) -> url | None
_OBJECT_LINKS: dict[str, Callable] = {}
# func(viewer, events): masks, in memory, what the viewer may not read (tenants: confidential domain names)
_REDACTORS: list[Callable] = []


def register_redactor(func: Callable) -> None:
    """``func(viewer, events)`` rewrites the events' ``changes`` and ``target_repr`` in memory (never saved) so
    they hold only what ``viewer`` may read — also values recorded before they became secret (TEN-4)."""
    _REDACTORS.append(func)


def prepare(events, viewer) -> list:
    """Events as ``viewer`` may read them. Every reader of the trail calls this before rendering (the page,
    the export, the dashboard, the tag ``event_sentence``); rendering an unprepared event raises."""
    events = list(events)
    pending = [event for event in events if getattr(event, "_prepared_for", None) != _viewer_key(viewer)]
    if pending:
        for redactor in _REDACTORS:
            redactor(viewer, pending)
        for event in pending:
            event._prepared_for = _viewer_key(viewer)
    return events


def _viewer_key(viewer):
    return getattr(viewer, "pk", None) or "anonymous"


def _require_prepared(event) -> None:
    if not hasattr(event, "_prepared_for"):
        raise RuntimeError("audit_text.prepare(events, viewer) must run before an event is rendered")


def register_key_labels(labels: dict) -> None:
    """Apps add labels of their own change keys (support: "verdict", "subject_account", …)."""
    for key, label in labels.items():
        KEY_LABELS.setdefault(key, label)


def register_sentences(sentences: dict) -> None:
    """Apps add the sentences of their own actions (action code → lazy text with %(key)s of the changes)."""
    for action, text in sentences.items():
        SENTENCES.setdefault(action, text)


def register_value_labels(key: str, choices) -> None:
    _VALUE_LABELS.setdefault(key, {}).update({str(code): label for code, label in choices})


def register_value_formatter(key: str, func: Callable, *, action: str | None = None) -> None:
    """``func(value) -> str`` for ``key`` (in events of ``action`` only, if given)."""
    _FORMATTERS[(action, key)] = func


def register_object_link(model_label: str, func: Callable) -> None:
    """``func(event) -> str | None``: where the event's object is shown (a page the reader may open)."""
    _OBJECT_LINKS[model_label.lower()] = func


def _is_iso_datetime(value: str) -> datetime.datetime | datetime.date | None:
    if not isinstance(value, str) or len(value) < 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        if len(value) == 10:
            return datetime.date.fromisoformat(value)
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def format_value(key: str, value) -> str:
    """One changed value in words: lists joined, dates in the reader's format, yes/no, coded values named."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(format_value(key, item) for item in value)
    if isinstance(value, dict):
        if "number" in value and "code" in value:
            label = _VALUE_LABELS.get("service", {}).get(str(value["code"]), value["code"])
            return f"{value['number']} {label}"
        if "from" in value or "to" in value:
            before, after = format_value(key, value.get("from")), format_value(key, value.get("to"))
            return f"{before} → {after}"
        return "; ".join(
            f"{label_for(inner)}: {format_value(inner, inner_value)}" for inner, inner_value in value.items()
        )
    moment = _is_iso_datetime(value)
    if moment is not None:
        if isinstance(moment, datetime.datetime):
            from django.utils import timezone

            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
        return formats.date_format(moment, "SHORT_DATE_FORMAT")
    labels = _VALUE_LABELS.get(key)
    if labels and str(value) in labels:
        return str(labels[str(value)])
    return str(value)


def label_for(key: str) -> str:
    label = KEY_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def actor_name(event) -> str:
    actor = event.actor
    if actor is None:
        return _("The system")
    return actor.get_full_name() if hasattr(actor, "get_full_name") else str(actor)


class _Values(dict):
    def __missing__(self, key):
        return "–"


def sentence(event) -> str:
    """The event as one sentence in the active language."""
    _require_prepared(event)
    changes = event.changes if isinstance(event.changes, dict) else {}
    values = _Values({key: _format(event, key, value) for key, value in changes.items()})
    values["actor"] = actor_name(event)
    values["object"] = object_label(event)
    template = SENTENCES.get(event.action)
    if template is None:
        return f"{values['actor']}: {action_label(event.action)} · {values['object']}"
    return str(template) % values


def object_label(event) -> str:
    """The event's object as stored (masked for the reader by ``prepare``); a grant reads as its tenant number."""
    _require_prepared(event)
    changes = event.changes if isinstance(event.changes, dict) else {}
    if event.target_type_id and changes.get("tenant_number"):
        return str(changes["tenant_number"])
    return event.target_repr or "–"


def details(event) -> list[tuple[str, str]]:
    """The event's changes as (label, value) pairs, for the "details" column and the export."""
    _require_prepared(event)
    changes = event.changes if isinstance(event.changes, dict) else {}
    return [(label_for(key), _format(event, key, value)) for key, value in changes.items()]


def _format(event, key: str, value) -> str:
    formatter = _FORMATTERS.get((event.action, key)) or _FORMATTERS.get((None, key))
    if formatter is not None and value not in (None, ""):
        return formatter(value)
    return format_value(key, value)


def object_url(event) -> str | None:
    target_type = getattr(event, "target_type", None)
    if target_type is None:
        return None
    func = _OBJECT_LINKS.get(f"{target_type.app_label}.{target_type.model}")
    return func(event) if func is not None else None
