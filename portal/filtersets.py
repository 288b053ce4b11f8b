"""The audit trail's filters (DEL-7, UI-1): who, what, which tenant, when. Shared by the page and its export."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.audit import ACTION_LABELS
from portal.models import AuditEvent


def _action_choices():
    return sorted(((code, label) for code, label in ACTION_LABELS.items()), key=lambda item: str(item[1]))


class AuditEventFilterSet(django_filters.FilterSet):
    who = django_filters.CharFilter(method="filter_who", label=_("Who"), help_text=_("E-mail or name"))
    action = django_filters.ChoiceFilter(
        choices=_action_choices, label=_("Action"), empty_label=_("All actions")
    )
    # DEL-1: the number as the events recorded it, so a requester's own row shows whether the tenant exists or not.
    tenant = django_filters.CharFilter(method="filter_tenant", label=_("Tenant"))
    since = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label=_("From"))
    until = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label=_("Until"))

    class Meta:
        model = AuditEvent
        fields = ["who", "action", "tenant", "since", "until"]

    def filter_tenant(self, queryset, name, value):
        from portal.selectors import about_tenant_number

        return queryset.filter(about_tenant_number(value)) if (value or "").strip() else queryset

    def filter_who(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(actor__email__icontains=value) | Q(actor__name__icontains=value))
