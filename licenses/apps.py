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
        from portal.context_processors import register_nav_item

        register_nav_item(_nav)
        _register_ratelimit_words()
        audit_text.register_value_labels("license_kind", Kind.choices)
        audit_text.register_value_labels("license_status", Status.choices)
        audit_text.register_value_labels("term", Term.choices)
        audit_text.register_value_labels("void_reason", VoidReason.choices)
        audit_text.register_value_labels("deactivation", DeactivationReason.choices)


def _nav(request) -> list[dict]:
    """ "Licences" for whoever sees a licence or may issue one (one EXISTS each, cached per request)."""
    from django.urls import reverse
    from django.utils.translation import gettext_lazy as _

    from portal import access

    from .models import License, ProductGroup

    user = request.user
    if access.can_any(user, License) or access.can_any(user, ProductGroup, "issue"):
        return [{"url": reverse("license_list"), "label": _("Licences"), "order": 40}]
    return []


def _register_ratelimit_words() -> None:
    from django.utils.translation import gettext_lazy as _

    from portal import ratelimit

    ratelimit.SUBJECTS.setdefault("license_check_in", _("licence check-ins"))
    ratelimit.WHO.setdefault("key", _("this licence key"))
