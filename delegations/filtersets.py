"""Filters of the delegation lists, shared by the API and the HTML pages (DEL-5).

``direction`` and ``status`` are not plain field filters — they depend on who asks and on the time (an
active grant past its expiry is "expired") — so the selector ``grants_for`` applies them; this FilterSet adds
the plain ones.
"""

import django_filters

from .models import CaretakerGrant, GrantOrigin, Scope


class GrantFilterSet(django_filters.FilterSet):
    tenant = django_filters.CharFilter(field_name="tenant_number", lookup_expr="iexact")
    scope = django_filters.ChoiceFilter(choices=Scope.choices)
    origin = django_filters.ChoiceFilter(choices=GrantOrigin.choices)
    caretaker = django_filters.CharFilter(field_name="caretaker_email", lookup_expr="iexact")

    class Meta:
        model = CaretakerGrant
        fields = ["tenant", "scope", "origin", "caretaker"]
