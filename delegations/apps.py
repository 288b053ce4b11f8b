from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def delegations_nav(request) -> list[dict]:
    """Main navigation: "Delegations" with the number of requests waiting for the user's answer (DEL-5)."""
    from django.urls import reverse

    from .selectors import open_count_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return [{"url": reverse("delegation_overview"), "label": _("Delegations"), "count": open_count_for(user)}]


class DelegationsConfig(AppConfig):
    name = "delegations"
    verbose_name = _("Delegations")

    def ready(self):
        from portal.context_processors import register_nav_item

        from . import access

        access.register()  # managed accounts, caretaker grants: sources of rights (portal.access)
        register_nav_item(delegations_nav)
