"""Tenant routes under /api/v1/ (TEN-1..TEN-8, ACC-6): the operation routes, then the router's ``tenants/``
and ``tenants/{number}/`` (tenants/api/views.py)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .access import TenantAccessView
from .catalogue import ServiceTypeDetailView, ServiceTypeListView
from .checks import CheckDetailView, TenantChecksView
from .customers import CustomerCreateView
from .domains import (
    CancelServiceView,
    DeployView,
    DiscountView,
    DomainDetailView,
    DomainListView,
    DomainServicesView,
    DomainUserDetailView,
    DomainUsersView,
    EndPreviewView,
    EndServiceView,
    ServiceDetailView,
    TenantServicesView,
)
from .offers import OfferDetailView, OfferPdfView, TenantOffersView
from .transfers import TenantTransfersView, TransferApproveView, TransferDeclineView, TransferListView
from .views import TenantViewSet

router = SimpleRouter()
router.register("tenants", TenantViewSet, basename="tenant")

urlpatterns = [
    path("customers/", CustomerCreateView.as_view(), name="api-customers"),
    path("tenants/<str:number>/transfers/", TenantTransfersView.as_view(), name="api-tenant-transfers"),
    path("transfers/", TransferListView.as_view(), name="api-transfers"),
    path("transfers/<int:pk>/approve/", TransferApproveView.as_view(), name="api-transfer-approve"),
    path("transfers/<int:pk>/decline/", TransferDeclineView.as_view(), name="api-transfer-decline"),
    path("tenants/<str:number>/access/", TenantAccessView.as_view(), name="api-tenant-access"),
    path("tenants/<str:number>/domains/", DomainListView.as_view(), name="api-tenant-domains"),
    path("tenants/<str:number>/domains/<str:fqdn>/", DomainDetailView.as_view(), name="api-domain-detail"),
    path(
        "tenants/<str:number>/domains/<str:fqdn>/services/",
        DomainServicesView.as_view(),
        name="api-domain-services",
    ),
    path(
        "tenants/<str:number>/domains/<str:fqdn>/users/", DomainUsersView.as_view(), name="api-domain-users"
    ),
    path(
        "tenants/<str:number>/domains/<str:fqdn>/users/<int:pk>/",
        DomainUserDetailView.as_view(),
        name="api-domain-user-detail",
    ),
    path("tenants/<str:number>/services/", TenantServicesView.as_view(), name="api-tenant-services"),
    path("tenants/<str:number>/deploy/", DeployView.as_view(), name="api-tenant-deploy"),
    path("tenants/<str:number>/checks/", TenantChecksView.as_view(), name="api-tenant-checks"),
    path("tenants/<str:number>/offers/", TenantOffersView.as_view(), name="api-tenant-offers"),
    path("services/<int:pk>/", ServiceDetailView.as_view(), name="api-service-detail"),
    path("services/<int:pk>/end/", EndServiceView.as_view(), name="api-service-end"),
    path("services/<int:pk>/end-preview/", EndPreviewView.as_view(), name="api-service-end-preview"),
    path("services/<int:pk>/cancel/", CancelServiceView.as_view(), name="api-service-cancel"),
    path("services/<int:pk>/discount/", DiscountView.as_view(), name="api-service-discount"),
    path("checks/<int:pk>/", CheckDetailView.as_view(), name="api-check-detail"),
    path("offers/<int:pk>/", OfferDetailView.as_view(), name="api-offer-detail"),
    path("offers/<int:pk>/pdf/", OfferPdfView.as_view(), name="api-offer-pdf"),
    path("service-types/", ServiceTypeListView.as_view(), name="api-service-types"),
    path("service-types/<slug:code>/", ServiceTypeDetailView.as_view(), name="api-service-type-detail"),
    *router.urls,  # tenants/ and tenants/{number}/, after the operation routes above
]
