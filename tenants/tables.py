"""Tenant list columns (TEN-3): name, number, customer, managed domains, total services — every column
sortable in the database (the counts are the selector's annotations, so no query per row). The HTML list
and the API share tenants.filtersets.TenantFilterSet. The table gives headers, sorting and pagination; its
rows are written out in templates/tenants/partials/_tables2.html (faster than rendering cell by cell): keep
both in step."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from .models import Tenant


class CountColumn(tables.Column):
    attrs = {"th": {"class": "num"}, "td": {"class": "num"}}

    def render(self, value):
        return value


class TenantTable(tables.Table):
    name = tables.LinkColumn("tenant_detail", args=[tables.A("number")], verbose_name=_("Name"))
    number = tables.Column(verbose_name=_("ID"))
    account = tables.Column(accessor="account__name", verbose_name=_("Customer"), order_by=("account__name",))
    environment = tables.Column(verbose_name=_("Environment"))
    domains_count = CountColumn(verbose_name=_("Managed domains"))
    services_count = CountColumn(verbose_name=_("Services"))

    class Meta:
        model = Tenant
        fields = ("name", "number", "account", "environment", "domains_count", "services_count")
        template_name = "tenants/partials/_tables2.html"
        attrs = {"class": "table stack", "id": "tenant-table-grid"}
        order_by = "number"
        empty_text = _("No tenants found.")
