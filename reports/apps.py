"""Reports and delivery (REP-1..REP-4): licence report, subscriptions, reseller statements, webhooks and
e-mail deliveries."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def reports_nav(request) -> list[dict]:
    """Main navigation: "Reports" for every signed-in user (each report lists only what the user may see)."""
    from django.urls import reverse

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return [{"url": reverse("reports_index"), "label": _("Reports"), "order": 70}]


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from accounts import erasure
        from portal.context_processors import register_nav_item

        from . import access, services

        access.register()  # destinations and deliveries: sources of rights (portal.access)
        erasure.register_hook(services.erase_destinations)  # LIC-12: e-mail destinations of an erased account
        register_nav_item(reports_nav)
        _register_audit_words()


def _register_audit_words():
    from django.urls import reverse

    from portal import audit_text

    audit_text.register_object_link(
        "reports.destination",
        lambda event: reverse("report_destination", args=[event.target_id]) if event.target_id else None,
    )
    audit_text.register_object_link(
        "reports.delivery",
        lambda event: reverse("report_delivery", args=[event.target_id]) if event.target_id else None,
    )
