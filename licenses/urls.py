"""Licence pages under /licenses/ (UI-1; LIC-1..LIC-6)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.license_list, name="license_list"),
    path("issue/", views.license_issue, name="license_issue"),
    path("customers/", views.reseller_customers, name="license_customers"),
    path("pools/", views.pools, name="license_pools"),
    path("catalogue/", views.catalogue, name="license_catalogue"),
    path("moves/<int:pk>/<str:action>/", views.transfer_answer, name="license_transfer_answer"),
    path("<str:key>/", views.license_detail, name="license_detail"),
]
