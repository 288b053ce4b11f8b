"""A new customer together with its first tenant over the API (TEN-7, issue 8 §7).

``POST /api/v1/customers/`` — a partner's ``sales`` member creates the customer account (the partner becomes
its reseller; the contact is invited to become owner) and its first tenant in one transaction
(``tenants.services.create_customer_with_tenant``, the page's service too). Accepts ``Idempotency-Key``:
a retried request answers the first response instead of creating a second customer.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from portal.api import ActiveAccountMixin
from portal.errors import RuleViolation
from tenants import selectors, services
from tenants.api.serializers import TenantOutputSerializer
from tenants.models import Environment


class CustomerWithTenantInputSerializer(serializers.Serializer):
    partner = serializers.CharField(
        max_length=20,
        required=False,
        help_text="The partner acting (its number); default: the active account.",
    )
    name = serializers.CharField(max_length=200, help_text="The new customer's company name.")
    contact_email = serializers.EmailField(
        help_text="Invited to become the owner of the new customer account."
    )
    tenant_name = serializers.CharField(max_length=200)
    environment = serializers.ChoiceField(choices=Environment.choices, default=Environment.PRODUCTION)


class CustomerOutputSerializer(serializers.Serializer):
    number = serializers.CharField()
    name = serializers.CharField()
    contact_email = serializers.EmailField()


class CustomerWithTenantOutputSerializer(serializers.Serializer):
    customer = CustomerOutputSerializer()
    tenant = TenantOutputSerializer()


@extend_schema(tags=["tenants"])
class CustomerCreateView(ActiveAccountMixin, generics.GenericAPIView):
    serializer_class = CustomerWithTenantOutputSerializer

    def _partner(self, request, number: str | None):
        partners = list(selectors.reseller_partners(request.user))
        if number:
            chosen = [partner for partner in partners if partner.number == number]
        elif request.account is not None and request.account in partners:
            chosen = [request.account]
        else:
            chosen = partners if len(partners) == 1 else []
        if chosen:
            return chosen[0]
        if not partners:
            from portal.errors import NotPermitted

            raise NotPermitted(_("Only a partner's sales staff create tenants for customers."))
        raise RuleViolation(
            _("Name the partner you act for."),
            code="partner_required",
            fields={
                "partner": [_("One of: %(numbers)s") % {"numbers": ", ".join(p.number for p in partners)}]
            },
        )

    @extend_schema(
        request=CustomerWithTenantInputSerializer, responses={201: CustomerWithTenantOutputSerializer}
    )
    def post(self, request, *args, **kwargs):
        data = CustomerWithTenantInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        partner = self._partner(request, values.get("partner"))
        account, tenant = services.create_customer_with_tenant(
            actor=request.user,
            partner=partner,
            customer_name=values["name"],
            contact_email=values["contact_email"],
            name=values["tenant_name"],
            environment=values["environment"],
        )
        tenant = selectors.tenant_for(request.user, tenant.number)  # with its counts
        body = {
            "customer": {
                "number": account.number,
                "name": account.name,
                "contact_email": account.contact_email,
            },
            "tenant": TenantOutputSerializer(tenant).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)
