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
        from portal.context_processors import register_nav_item

        from . import rules

        rules.register()
        register_nav_item(delegations_nav)
