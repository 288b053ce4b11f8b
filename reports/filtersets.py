"""The licence report's filters (REP-1), shared by the page, its CSV and the API."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from licenses.models import Kind, License, Status


class LicenseReportFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("Kind"), empty_label=_("All kinds"))
    status = django_filters.ChoiceFilter(
        choices=Status.choices, label=_("Status"), empty_label=_("All statuses")
    )
    product = django_filters.CharFilter(
        field_name="product__article_number", label=_("Product"), help_text=_("Article number")
    )
    group = django_filters.CharFilter(
        field_name="group__code", label=_("Product group"), help_text=_("Group code")
    )
    reseller = django_filters.CharFilter(
        field_name="issuer__number", label=_("Reseller"), help_text=_("Customer number of the reseller")
    )
    customer = django_filters.CharFilter(
        field_name="holder__number", label=_("Customer"), help_text=_("Customer number of the holder")
    )
    issued_from = django_filters.DateFilter(
        field_name="issued_at", lookup_expr="date__gte", label=_("Issued from")
    )
    issued_to = django_filters.DateFilter(
        field_name="issued_at", lookup_expr="date__lte", label=_("Issued until")
    )

    class Meta:
        model = License
        fields = ["kind", "status", "product", "group", "reseller", "customer", "issued_from", "issued_to"]
