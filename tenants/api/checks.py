"""Consistency checks over the API (TEN-7, API-1): start one (202 with the run; a running one is returned
instead of starting a second), list a tenant's runs, read one with its findings (domain names masked)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from tenants import selectors, services
from tenants.api.base import TenantScopedView
from tenants.checks import describe_finding
from tenants.filtersets import CheckRunFilterSet
from tenants.models import CheckRun, Finding


class FindingSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField()
    domain = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()

    class Meta:
        model = Finding
        fields = ["id", "code", "severity", "message", "domain", "service", "details"]

    def _domain_name(self, finding) -> str | None:
        return self.context["labeler"](finding.domain) if finding.domain is not None else None

    def get_message(self, finding) -> str:
        return describe_finding(finding, self._domain_name(finding))

    def get_domain(self, finding) -> dict | None:
        if finding.domain is None:
            return None
        return {"id": finding.domain_id, "name": self._domain_name(finding)}

    def get_service(self, finding) -> dict | None:
        if finding.service is None:
            return None
        return {"id": finding.service_id, "number": finding.service.number}


class CheckRunSerializer(serializers.ModelSerializer):
    tenant = serializers.CharField(source="tenant.number", read_only=True)
    url = serializers.SerializerMethodField()
    findings_count = serializers.SerializerMethodField()

    class Meta:
        model = CheckRun
        fields = [
            "id",
            "url",
            "tenant",
            "status",
            "progress",
            "total_domains",
            "checked_domains",
            "attempts",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "findings_count",
        ]

    def get_url(self, run) -> str:
        return reverse("api-check-detail", args=[run.pk])

    def get_findings_count(self, run) -> int:
        annotated = getattr(run, "findings_count", None)
        if annotated is not None:
            return annotated
        return len(run.findings.all())


class CheckRunDetailSerializer(CheckRunSerializer):
    findings = FindingSerializer(many=True, read_only=True)

    class Meta(CheckRunSerializer.Meta):
        fields = [*CheckRunSerializer.Meta.fields, "findings"]


@extend_schema(tags=["checks"])
class TenantChecksView(mixins.ListModelMixin, TenantScopedView):
    """``GET|POST /api/v1/tenants/{number}/checks/`` — the tenant's runs; start a check (202)."""

    # Schema generation only (no request): tells drf-spectacular the model; requests use get_queryset().
    queryset = CheckRun._default_manager.none()

    serializer_class = CheckRunSerializer
    filterset_class = CheckRunFilterSet
    ordering_fields = ["created_at", "status"]
    ordering = ["-created_at"]
    search_fields: list[str] = []

    def get_queryset(self):
        return selectors.check_runs_of(self.request.user, self.tenant)

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(request=None, responses={202: CheckRunSerializer})
    def post(self, request, *args, **kwargs):
        run, _created = services.start_consistency_check(actor=request.user, tenant=self.tenant)
        response = Response(
            self.get_serializer(selectors.check_run_for(request.user, run.pk)).data,
            status=status.HTTP_202_ACCEPTED,
        )
        response["Location"] = reverse("api-check-detail", args=[run.pk])
        return response


@extend_schema(tags=["checks"], responses=CheckRunDetailSerializer)
class CheckDetailView(TenantScopedView):
    """``GET /api/v1/checks/{id}/`` — state, progress and findings (poll while queued or running)."""

    serializer_class = CheckRunDetailSerializer

    def get(self, request, *args, **kwargs):
        run = selectors.check_run_for(request.user, kwargs["pk"])
        self.labeler.prime_tenant(run.tenant)
        return Response(self.get_serializer(run).data)
