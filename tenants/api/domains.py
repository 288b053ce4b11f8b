"""Domains, registered users and booked services over the API. Implements TEN-4..TEN-8 and API-1.

Serializers and views of one topic live together here (tenants/api/serializers.py and views.py hold the
tenant list itself). Every view resolves the tenant and domain through the selectors (404 for unseen) and
calls one service, which answers 403 for a visible object the role may not change. Domain names are
masked for callers without ``manage_confidential``; prices and discounts are left out without
``view_billing`` (caretakers, partner support and tech).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from tenants import selectors, services
from tenants.api.base import MASKED_FILTER_BACKENDS, TenantScopedView
from tenants.filtersets import BookedServiceFilterSet, DomainFilterSet, RegisteredUserFilterSet
from tenants.masking import Masker
from tenants.models import BookedService, Domain, RegisteredUser

BILLING_FIELDS = ("monthly_price", "discount_percent", "discount_reason", "discount_reason_display")

FQDN = OpenApiParameter(
    "fqdn",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The domain name (ASCII or Unicode) or its numeric id. Confidential domains whose name the "
    "caller may not see are found by id only.",
)


# --- Serializers ----------------------------------------------------------------------------------------


class DomainOutputSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(
        help_text="The name as the caller may see it (masked if confidential)."
    )
    ascii_name = serializers.SerializerMethodField(help_text="IDNA A-label form; null when masked.")
    masked = serializers.SerializerMethodField()
    users_count = serializers.IntegerField(read_only=True, default=0)
    services_count = serializers.IntegerField(read_only=True, default=0)
    undeployed_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Domain
        fields = [
            "id",
            "name",
            "ascii_name",
            "masked",
            "confidential",
            "created_at",
            "deployed_at",
            "users_count",
            "services_count",
            "undeployed_count",
        ]

    def _labeler(self) -> Masker:
        return self.context["labeler"]

    def get_name(self, domain) -> str:
        return self._labeler()(domain)

    def get_ascii_name(self, domain) -> str | None:
        return domain.name if self._labeler().name_visible(domain) else None

    def get_masked(self, domain) -> bool:
        return not self._labeler().name_visible(domain)


class DomainInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=300, help_text="Fully qualified domain name, e.g. shop.example.")
    service_types = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        help_text="Guided mode: service codes to book besides the base service.",
    )
    add_dependencies = serializers.BooleanField(
        required=False, default=False, help_text="Also book the services the chosen ones need."
    )
    expert = serializers.BooleanField(
        required=False, default=False, help_text="Expert mode: only the base service is booked."
    )
    confidential = serializers.BooleanField(
        required=False, default=False, help_text="Expert mode, partner admins only: mask the name for others."
    )


class DomainChangeSerializer(serializers.Serializer):
    confidential = serializers.BooleanField()


class ServiceTypeRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    is_base = serializers.BooleanField()


class BookedServiceOutputSerializer(serializers.ModelSerializer):
    domain = serializers.SerializerMethodField()
    service_type = ServiceTypeRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    billable = serializers.SerializerMethodField(help_text="Deployed (or ending) and the domain has users.")
    monthly_price = serializers.DecimalField(
        source="service_type.monthly_price", max_digits=10, decimal_places=2, read_only=True, required=False
    )
    discount_reason_display = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text="What the caller may do now (deploy, cancel, end, discount): the transition table's answer."
    )

    class Meta:
        model = BookedService
        fields = [
            "id",
            "number",
            "domain",
            "service_type",
            "status",
            "status_display",
            "ordered_at",
            "deployed_on",
            "billing_start",
            "end_date",
            "ended_at",
            "billable",
            "monthly_price",
            "discount_percent",
            "discount_reason",
            "discount_reason_display",
            "actions",
        ]

    def get_domain(self, service) -> dict:
        labeler = self.context["labeler"]
        return {"id": service.domain_id, "name": labeler(service.domain)}

    def get_billable(self, service) -> bool:
        return selectors.is_billable(service)

    def get_actions(self, service) -> list[str]:
        permissions = self.context.get("permissions")
        return selectors.service_actions(permissions, service) if permissions is not None else []

    def get_discount_reason_display(self, service) -> str:
        return services.discount_reason_label(service.discount_reason) if service.discount_reason else ""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("view_billing", False):
            for key in BILLING_FIELDS:
                data.pop(key, None)  # DEL-3: prices and discounts are never shown without view_billing
        return data


class BookServicesInputSerializer(serializers.Serializer):
    service_types = serializers.ListField(child=serializers.CharField(max_length=40), min_length=1)
    add_dependencies = serializers.BooleanField(required=False, default=False)


class RegisteredUserOutputSerializer(serializers.ModelSerializer):
    email = serializers.SerializerMethodField()

    class Meta:
        model = RegisteredUser
        fields = ["id", "email", "name", "created_at"]

    def get_email(self, registered_user) -> str:
        return self.context["labeler"].email(registered_user.email, self.context["domain"])


class RegisteredUserInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class EndServiceInputSerializer(serializers.Serializer):
    end_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: the last day of the current month."
    )
    confirm = serializers.BooleanField(
        required=False, default=False, help_text="Also end the services that need this one."
    )


class CancelServiceInputSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(required=False, default=False)


class DiscountInputSerializer(serializers.Serializer):
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100)
    discount_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EndResultSerializer(serializers.Serializer):
    service = BookedServiceOutputSerializer()
    end_date = serializers.DateField(allow_null=True)
    ending = serializers.SerializerMethodField()
    cancelled = serializers.SerializerMethodField()
    rescheduled = serializers.SerializerMethodField()
    domain_released = serializers.BooleanField()

    def get_ending(self, result) -> list[str]:
        return [service.number for service in result.ending]

    def get_cancelled(self, result) -> list[str]:
        return [service.number for service in result.cancelled]

    def get_rescheduled(self, result) -> list[str]:
        return [service.number for service in result.rescheduled]


class EndPreviewSerializer(serializers.Serializer):
    cancels = serializers.BooleanField()
    default_end_date = serializers.DateField()
    earliest_end_date = serializers.DateField()
    affected = serializers.SerializerMethodField()

    def get_affected(self, preview) -> list[dict]:
        return [
            {"id": service.pk, "number": service.number, "service_type": service.service_type.code}
            for service in preview.affected
        ]


class DeployInputSerializer(serializers.Serializer):
    domains = serializers.ListField(
        child=serializers.CharField(max_length=300),
        required=False,
        help_text="Domain names or ids; default: every live domain of the tenant.",
    )


class DeployResultSerializer(serializers.Serializer):
    services = serializers.SerializerMethodField()
    domains = serializers.SerializerMethodField()
    billing_started = serializers.SerializerMethodField()

    def get_services(self, result) -> list[str]:
        return [service.number for service in result.services]

    def get_domains(self, result) -> list[str]:
        labeler = self.context["labeler"]
        return [labeler(domain) for domain in result.domains]

    def get_billing_started(self, result) -> list[str]:
        return [service.number for service in result.billing_started]


# --- Views -----------------------------------------------------------------------------------------------


@extend_schema(tags=["tenants"])
class DomainListView(mixins.ListModelMixin, TenantScopedView):
    """``GET|POST /api/v1/tenants/{number}/domains/`` — live domains; add a domain (guided or expert)."""

    # Schema generation only (no request): tells drf-spectacular the model; requests use get_queryset().
    queryset = Domain._default_manager.none()

    serializer_class = DomainOutputSerializer
    filterset_class = DomainFilterSet
    filter_backends = MASKED_FILTER_BACKENDS
    ordering_fields = ["name", "created_at", "deployed_at", "users_count", "services_count"]
    ordering = ["name"]
    search_fields: list[str] = []  # the FilterSet's "q" searches, aware of confidential names

    def get_queryset(self):
        return selectors.domains_of(self.request.user, self.tenant)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=DomainInputSerializer, responses={201: DomainOutputSerializer})
    def post(self, request, *args, **kwargs):
        data = DomainInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        domain = services.add_domain(actor=request.user, tenant=self.tenant, **data.validated_data)
        fresh = selectors.domain_for(request.user, self.tenant, domain.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tenants"], parameters=[FQDN])
class DomainDetailView(TenantScopedView):
    """``GET|PATCH /api/v1/tenants/{number}/domains/{fqdn}/`` — PATCH sets ``confidential`` (partner admins)."""

    serializer_class = DomainOutputSerializer

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.domain).data)

    @extend_schema(request=DomainChangeSerializer, responses=DomainOutputSerializer)
    def patch(self, request, *args, **kwargs):
        data = DomainChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_domain_confidential(
            actor=request.user, domain=self.domain, confidential=data.validated_data["confidential"]
        )
        fresh = selectors.domain_for(request.user, self.tenant, self.domain.pk)
        return Response(self.get_serializer(fresh).data)


@extend_schema(tags=["tenants"], parameters=[FQDN])
class DomainServicesView(mixins.ListModelMixin, TenantScopedView):
    """``GET|POST /api/v1/tenants/{number}/domains/{fqdn}/services/`` — bookings of the domain; book more."""

    # Schema generation only (no request): tells drf-spectacular the model; requests use get_queryset().
    queryset = BookedService._default_manager.none()

    serializer_class = BookedServiceOutputSerializer
    filterset_class = BookedServiceFilterSet
    ordering_fields = ["number", "status", "billing_start", "end_date"]
    ordering = ["number"]
    search_fields: list[str] = []

    def get_queryset(self):
        return selectors.services_of(self.request.user, self.tenant, domain=self.domain)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        request=BookServicesInputSerializer, responses={201: BookedServiceOutputSerializer(many=True)}
    )
    def post(self, request, *args, **kwargs):
        data = BookServicesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booked = services.book_services(actor=request.user, domain=self.domain, **data.validated_data)
        fresh = selectors.services_of(request.user, self.tenant, domain=self.domain).filter(
            pk__in=[booking.pk for booking in booked]
        )
        return Response(self.get_serializer(fresh, many=True).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tenants"], parameters=[FQDN])
class DomainUsersView(mixins.ListModelMixin, TenantScopedView):
    """``GET|POST /api/v1/tenants/{number}/domains/{fqdn}/users/`` — registered users (they drive billing)."""

    # Schema generation only (no request): tells drf-spectacular the model; requests use get_queryset().
    queryset = RegisteredUser._default_manager.none()

    serializer_class = RegisteredUserOutputSerializer
    filterset_class = RegisteredUserFilterSet
    filter_backends = MASKED_FILTER_BACKENDS
    ordering_fields = ["email", "created_at"]
    ordering = ["email"]
    search_fields: list[str] = []

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "domain": self.domain}

    def get_queryset(self):
        return selectors.registered_users_of(self.request.user, self.domain)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=RegisteredUserInputSerializer, responses={201: RegisteredUserOutputSerializer})
    def post(self, request, *args, **kwargs):
        data = RegisteredUserInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registered = services.add_registered_user(
            actor=request.user, domain=self.domain, **data.validated_data
        )
        return Response(self.get_serializer(registered).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["tenants"], parameters=[FQDN])
class DomainUserDetailView(TenantScopedView):
    """``DELETE /api/v1/tenants/{number}/domains/{fqdn}/users/{id}/`` — remove a registered user."""

    serializer_class = RegisteredUserOutputSerializer

    @extend_schema(responses={204: None})
    def delete(self, request, *args, **kwargs):
        registered = selectors.registered_users_of(request.user, self.domain).filter(pk=kwargs["pk"]).first()
        if registered is None:
            from portal.errors import NotFound

            raise NotFound()
        services.remove_registered_user(actor=request.user, registered_user=registered)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["tenants"])
class TenantServicesView(mixins.ListModelMixin, TenantScopedView):
    """``GET /api/v1/tenants/{number}/services/`` — every booking on the tenant's live domains."""

    # Schema generation only (no request): tells drf-spectacular the model; requests use get_queryset().
    queryset = BookedService._default_manager.none()

    serializer_class = BookedServiceOutputSerializer
    filterset_class = BookedServiceFilterSet
    ordering_fields = ["number", "status", "billing_start", "end_date"]
    ordering = ["number"]
    search_fields: list[str] = []

    def get_queryset(self):
        return selectors.services_of(self.request.user, self.tenant)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


@extend_schema(tags=["tenants"], request=DeployInputSerializer, responses=DeployResultSerializer)
class DeployView(TenantScopedView):
    """``POST /api/v1/tenants/{number}/deploy/`` — deploy what is ordered (role ``tech``)."""

    serializer_class = DeployResultSerializer

    def post(self, request, *args, **kwargs):
        data = DeployInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        keys = data.validated_data.get("domains")
        domains = None
        if keys is not None:
            domains = [
                selectors.domain_for(request.user, self.tenant, key, labeler=self.labeler) for key in keys
            ]
        result = services.deploy_tenant(actor=request.user, tenant=self.tenant, domains=domains)
        return Response(self.get_serializer(result).data)


class ServiceView(TenantScopedView):
    """Base for ``/api/v1/services/{id}/…``: the booking through the selector (404 if unseen)."""

    serializer_class = BookedServiceOutputSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        permissions = selectors.tenant_permissions(self.request.user, self.service.domain.tenant)
        context["view_billing"] = permissions.view_billing
        context["permissions"] = permissions
        self.labeler.remember(self.service.domain.tenant_id, permissions.manage_confidential)
        return context

    @property
    def service(self) -> BookedService:
        if not hasattr(self, "_service"):
            self._service = selectors.service_for(self.request.user, self.kwargs["pk"])
        return self._service

    def fresh(self) -> BookedService:
        return selectors.service_for(self.request.user, self.kwargs["pk"])


@extend_schema(tags=["services"])
class ServiceDetailView(ServiceView):
    """``GET /api/v1/services/{id}/``."""

    def get(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.service).data)


@extend_schema(tags=["services"], request=EndServiceInputSerializer, responses=EndResultSerializer)
class EndServiceView(ServiceView):
    """``POST /api/v1/services/{id}/end/`` — end a service (``ending`` until the date, then ``ended``);
    answers 400 ``confirmation_required`` listing the services that would end too, until ``confirm``."""

    def post(self, request, *args, **kwargs):
        data = EndServiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.end_service(actor=request.user, service=self.service, **data.validated_data)
        result.service = self.fresh()
        return Response(EndResultSerializer(result, context=self.get_serializer_context()).data)


@extend_schema(tags=["services"], request=CancelServiceInputSerializer, responses=EndResultSerializer)
class CancelServiceView(ServiceView):
    """``POST /api/v1/services/{id}/cancel/`` — cancel a service that is not deployed yet."""

    def post(self, request, *args, **kwargs):
        data = CancelServiceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.cancel_service(actor=request.user, service=self.service, **data.validated_data)
        result.service = self.fresh()
        return Response(EndResultSerializer(result, context=self.get_serializer_context()).data)


@extend_schema(tags=["services"], request=DiscountInputSerializer, responses=BookedServiceOutputSerializer)
class DiscountView(ServiceView):
    """``POST /api/v1/services/{id}/discount/`` — set the discount and its reason (sales)."""

    def post(self, request, *args, **kwargs):
        data = DiscountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_discount(
            actor=request.user,
            service=self.service,
            percent=data.validated_data["discount_percent"],
            reason=data.validated_data["discount_reason"],
        )
        return Response(self.get_serializer(self.fresh()).data)


@extend_schema(tags=["services"], responses=EndPreviewSerializer)
class EndPreviewView(ServiceView):
    """``GET /api/v1/services/{id}/end-preview/`` — default and earliest end date, what would end too."""

    def get(self, request, *args, **kwargs):
        return Response(EndPreviewSerializer(selectors.end_preview(request.user, self.service)).data)


__all__ = [
    "BookedServiceOutputSerializer",
    "CancelServiceView",
    "DeployView",
    "DiscountView",
    "DomainDetailView",
    "DomainListView",
    "DomainOutputSerializer",
    "DomainServicesView",
    "DomainUserDetailView",
    "DomainUsersView",
    "EndPreviewView",
    "EndServiceView",
    "ServiceDetailView",
    "TenantServicesView",
]
