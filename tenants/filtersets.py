"""One FilterSet per list, shared by the API and the HTML page (NetBox style). Implements TEN-3..TEN-7."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from .models import (
    LIVE_SERVICE_STATUSES,
    BookedService,
    CheckRun,
    CheckStatus,
    Domain,
    Environment,
    Offer,
    RegisteredUser,
    ServiceStatus,
    ServiceType,
    Tenant,
)


class TenantFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    environment = django_filters.ChoiceFilter(choices=Environment.choices, empty_label=_("All environments"))
    account = django_filters.CharFilter(field_name="account__number")
    # The API reads ``?account=`` as the caller's active account (portal.api.ActiveAccountMixin), so API
    # clients filter by the owning customer account with ``?customer=``; the HTML list accepts both.
    customer = django_filters.CharFilter(
        field_name="account__number", label=_("Customer account number"), help_text=_("e.g. K-100001")
    )

    undeployed = django_filters.BooleanFilter(
        method="filter_undeployed",
        label=_("Has undeployed services"),
        help_text=_("Services ordered, not yet deployed"),
    )

    class Meta:
        model = Tenant
        fields = ["q", "environment", "account", "customer", "undeployed"]

    def filter_undeployed(self, queryset, name, value):
        if value is None:
            return queryset
        ordered = BookedService.objects.filter(
            domain__tenant=OuterRef("pk"), domain__released_at__isnull=True, status=ServiceStatus.ORDERED
        )
        return queryset.filter(Exists(ordered)) if value else queryset.exclude(Exists(ordered))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(number__icontains=value))


class DomainFilterSet(django_filters.FilterSet):
    """Domains of one tenant (TEN-4). ``q`` searches the name *as the viewer sees it* (the selector's
    ``shown_name``; the ASCII form only where the name is visible), so a masked name never matches."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    deployed = django_filters.BooleanFilter(field_name="deployed_at", lookup_expr="isnull", exclude=True)
    confidential = django_filters.BooleanFilter()

    class Meta:
        model = Domain
        fields = ["q", "deployed", "confidential"]

    def search(self, queryset, name, value):
        value = value.strip().lower()
        if not value:
            return queryset
        return queryset.filter(Q(shown_name__icontains=value) | Q(name_visible=True, name__icontains=value))


class BookedServiceFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ServiceStatus.choices)
    service_type = django_filters.CharFilter(field_name="service_type__code")
    live = django_filters.BooleanFilter(method="filter_live", label=_("Live (ordered, deployed, ending)"))

    class Meta:
        model = BookedService
        fields = ["status", "service_type", "live"]

    def filter_live(self, queryset, name, value):
        if value is None:
            return queryset
        condition = Q(status__in=LIVE_SERVICE_STATUSES)
        return queryset.filter(condition) if value else queryset.exclude(condition)


class RegisteredUserFilterSet(django_filters.FilterSet):
    """``q`` searches the address as the viewer sees it (the selector's ``shown_email``, TEN-4)."""

    q = django_filters.CharFilter(field_name="shown_email", lookup_expr="icontains", label=_("Search"))

    class Meta:
        model = RegisteredUser
        fields = ["q"]


class CheckRunFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CheckStatus.choices)

    class Meta:
        model = CheckRun
        fields = ["status"]


class ServiceTypeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    is_base = django_filters.BooleanFilter()

    class Meta:
        model = ServiceType
        fields = ["q", "is_base"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class OfferFilterSet(django_filters.FilterSet):
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Offer
        fields = ["created_after", "created_before"]
