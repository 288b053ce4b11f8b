from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def support_nav(request) -> list[dict]:
    """Main navigation: "Support" — the lookup for vendor staff, the tickets for everyone else with tickets."""
    from django.urls import reverse

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    from .selectors import may_look_up

    if may_look_up(user):
        return [{"url": reverse("support_lookup"), "label": _("Support"), "key": "support", "order": 40}]
    return [{"url": reverse("support_ticket_list"), "label": _("Support"), "key": "support", "order": 40}]


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    def ready(self):
        from portal.context_processors import register_nav_item
        from portal.numbers import register_format

        from . import access, audit

        access.register()  # lookup, ticket filing, tickets, contracts, legacy links (portal.access)
        register_nav_item(support_nav)
        audit.register()  # the trail in words: action names, sentences, change keys
        register_format("ticket", "SUP-{:06d}", 0)
        register_format("contract", "V-{:06d}", 0)
