"""Tenants app: registers its tenant-scoped models with the access authority (TEN-3..TEN-7, API-1)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = _("Tenants")

    def ready(self):
        from portal.selectors import register_dashboard_section

        from . import (
            access,
            catalogue,  # noqa: F401 - connects the m2m guard against dependency cycles
            selectors,
        )

        access.register()  # own account, reseller, children, catalogue: sources of rights (portal.access)
        register_dashboard_section(selectors.dashboard_section)
