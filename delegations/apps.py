from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def delegations_nav(request) -> list[dict]:
    """Main navigation: "Delegations" with the number of requests waiting for the user's answer (DEL-5), and the
    notification bell with the number of unread notifications."""
    from django.urls import reverse

    from .selectors import open_count_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    from .selectors import unread_notification_count

    return [
        {
            "url": reverse("delegation_overview"),
            "label": _("Delegations"),
            "count": open_count_for(user),
            "key": "delegations",
            "order": 30,
        },
        # The bell in the header on every page (UI-1): unread in-app notifications.
        {
            "url": reverse("notification_list"),
            "label": _("Notifications"),
            "count": unread_notification_count(user),
            "slot": "bell",
        },
    ]


class DelegationsConfig(AppConfig):
    name = "delegations"
    verbose_name = _("Delegations")

    def ready(self):
        from portal import notices
        from portal.context_processors import register_nav_item
        from portal.selectors import register_todo_source

        from . import access, notifications
        from .todos import delegation_todos

        access.register()  # managed accounts, caretaker grants: sources of rights (portal.access)
        from tenants.services.tenants import register_transfer_hook

        from .services.grants import end_grants_on_transfer, lock_open_grants_of

        register_transfer_hook(lock=lock_open_grants_of, apply=end_grants_on_transfer)
        register_nav_item(delegations_nav)
        notices.register_sink(notifications.store_notices)
        register_todo_source(delegation_todos)
        _register_audit_words()


def _register_audit_words():
    """DEL-7 trail in words: scopes and statuses named, grants and relations linked."""
    from django.urls import reverse

    from portal import audit_text

    from .models import GrantStatus, ManagedAccountStatus, Scope

    audit_text.register_value_labels("scope", Scope.choices)
    audit_text.register_value_labels("status", [*GrantStatus.choices, *ManagedAccountStatus.choices])
    audit_text.register_value_labels(
        "via", [("link", _("the e-mailed link")), ("grant_link", _("the e-mailed link"))]
    )

    def grant_end_of(value):
        from datetime import datetime

        from .display import grant_end

        try:
            return grant_end(datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)

    # A grant's end reads as everywhere else ("until 06.12.2026 (end of day)"), never as "07.12. 00:00".
    audit_text.register_value_formatter("expires_at", grant_end_of)
    for key in ("from", "to"):
        audit_text.register_value_formatter(key, grant_end_of, action="delegation.extended")
    audit_text.register_object_link(
        "delegations.caretakergrant",
        lambda event: reverse("delegation_detail", args=[event.target_id]) if event.target_id else None,
    )
    audit_text.register_object_link(
        "delegations.managedaccount",
        lambda event: reverse("managed_account_detail", args=[event.target_id]) if event.target_id else None,
    )
