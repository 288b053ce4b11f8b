"""Tenants app: registers its tenant-scoped models with the access authority (TEN-3..TEN-7, API-1)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants")

    def ready(self):
        from portal.selectors import register_dashboard_section, register_todo_source

        from . import (
            access,
            catalogue,  # noqa: F401 - connects the m2m guard against dependency cycles
            notices,  # noqa: F401 - registers the "ready to deploy" notice
            selectors,
        )
        from .todos import tenant_todos

        access.register()  # own account, reseller, children, catalogue: sources of rights (portal.access)
        register_dashboard_section(selectors.dashboard_section)
        register_todo_source(tenant_todos)
        _register_audit_words()


def _register_audit_words():
    """DEL-7 trail in words: the tenant side's coded values and where its objects are shown."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from portal import audit_text

    from .masking import redact_events
    from .models import DiscountReason, Environment

    audit_text.register_redactor(redact_events)  # TEN-4: names recorded before the domain became confidential
    audit_text.register_value_labels("environment", Environment.choices)
    audit_text.register_value_labels("reason", DiscountReason.choices)
    audit_text.register_value_labels("mode", [("guided", _("guided")), ("expert", _("expert"))])

    def on_tenant_page(anchor: str = ""):
        def link(event):
            if event.tenant is None:
                return None
            url = reverse("tenant_detail", args=[event.tenant.number])
            return f"{url}#{anchor}-{event.target_id}" if anchor else url

        return link

    audit_text.register_object_link("tenants.tenant", on_tenant_page())
    audit_text.register_object_link("tenants.domain", on_tenant_page("domain"))
    audit_text.register_object_link("tenants.bookedservice", on_tenant_page())
    audit_text.register_object_link("tenants.checkrun", on_tenant_page())
    audit_text.register_object_link(
        "tenants.offer",
        lambda event: (
            reverse("tenant_offer", args=[event.tenant.number, event.target_id])
            if event.tenant is not None and event.target_id
            else None
        ),
    )
