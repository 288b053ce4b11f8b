"""Tenant pages (UI-1, TEN-3..TEN-8), included at /tenants/. Domains and services are addressed by id: a
confidential domain's name never appears in a URL."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.tenant_list, name="tenant_list"),
    path("new/", views.tenant_create, name="tenant_create"),
    path("transfers/", views.tenant_transfers, name="tenant_transfers"),
    path("transfers/<int:pk>/<str:answer>/", views.tenant_transfer_answer, name="tenant_transfer_answer"),
    path("<str:number>/transfer/", views.tenant_transfer_request, name="tenant_transfer_request"),
    path("<str:number>/", views.tenant_detail, name="tenant_detail"),
    path("<str:number>/domains/add/", views.domain_add, name="tenant_domain_add"),
    path(
        "<str:number>/domains/<int:domain_id>/services/add/",
        views.services_add,
        name="tenant_services_add",
    ),
    path("<str:number>/domains/<int:domain_id>/end/", views.service_end, name="tenant_service_end"),
    path("<str:number>/domains/<int:domain_id>/users/", views.domain_users, name="tenant_domain_users"),
    path(
        "<str:number>/domains/<int:domain_id>/users/<int:pk>/remove/",
        views.domain_user_remove,
        name="tenant_domain_user_remove",
    ),
    path(
        "<str:number>/domains/<int:domain_id>/confidential/",
        views.domain_confidential,
        name="tenant_domain_confidential",
    ),
    path("<str:number>/services/<int:pk>/discount/", views.service_discount, name="tenant_service_discount"),
    path("<str:number>/deploy/", views.tenant_deploy, name="tenant_deploy"),
    path("<str:number>/checks/", views.check_start, name="tenant_check_start"),
    path("<str:number>/checks/<int:pk>/", views.check_status, name="tenant_check_status"),
    path("<str:number>/offers/new/", views.offer_create, name="tenant_offer_create"),
    path("<str:number>/offers/<int:pk>/", views.offer_detail, name="tenant_offer"),
    path("<str:number>/offers/<int:pk>/print/", views.offer_print, name="tenant_offer_print"),
    path("<str:number>/offers/<int:pk>/pdf/", views.offer_pdf, name="tenant_offer_pdf"),
]
