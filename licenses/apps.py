"""Licences app (LIC-1..LIC-6, SUB-1..SUB-5): registers its sources of rights with the access authority."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    name = "licenses"
    verbose_name = _("Licenses")

    def ready(self):
        from portal import audit_text

        from . import access, tasks  # noqa: F401 - tasks register with Celery / the outbox
        from .models import DeactivationReason, Kind, Status, Term, VoidReason

        access.register()  # reseller authorizations, issuer, holder, tenant owner, assigned user
        audit_text.register_value_labels("license_kind", Kind.choices)
        audit_text.register_value_labels("license_status", Status.choices)
        audit_text.register_value_labels("term", Term.choices)
        audit_text.register_value_labels("void_reason", VoidReason.choices)
        audit_text.register_value_labels("deactivation", DeactivationReason.choices)
