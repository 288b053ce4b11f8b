"""Support pages under /support/ (SUP-1, SUP-5, SUP-6, CHK-1, ACC-1), included by portal.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.lookup, name="support_lookup"),
    path("accounts/<str:key>/", views.lookup_account, name="support_lookup_account"),
    path("accounts/<str:key>/setup-check/", views.setup_check_page, name="support_setup_check"),
    path("accounts/<str:key>/staging/new/", views.staging_new, name="support_create_staging"),
    path("accounts/<str:key>/contracts/new/", views.contract_new, name="support_contract_new"),
    path("contracts/", views.contract_list, name="support_contract_list"),
    path("contracts/<str:number>/", views.contract_edit, name="support_contract_edit"),
    path("tickets/", views.ticket_list, name="support_ticket_list"),
    path("tickets/new/", views.ticket_new, name="support_ticket_new"),
    path("tickets/<str:number>/", views.ticket_detail, name="support_ticket_detail"),
    path("tickets/<str:number>/status/", views.ticket_status, name="support_ticket_status"),
    path("legacy-links/", views.legacy_link_list, name="support_legacy_links"),
    path("legacy-links/<int:pk>/", views.legacy_link, name="support_legacy_link"),
]
