"""Delegation pages, included at /delegations/ by portal.urls (DEL-1, DEL-2, DEL-4, DEL-5, DEL-7, ACC-4)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.delegation_overview, name="delegation_overview"),
    path("request/", views.delegation_request, name="delegation_request"),
    path("grant/", views.delegation_grant, name="delegation_grant"),
    path("link/", views.delegation_accept_link, name="delegation_accept_link"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("managed/", views.managed_account_list, name="managed_account_list"),
    path("managed/request/", views.management_request, name="management_request"),
    path("managed/<int:pk>/", views.managed_account_detail, name="managed_account_detail"),
    path("managed/<int:pk>/action/<str:action>/", views.management_action, name="management_action"),
    path("<int:pk>/", views.delegation_detail, name="delegation_detail"),
    path("<int:pk>/extend/", views.delegation_extend, name="delegation_extend"),
    path("<int:pk>/action/<str:action>/", views.delegation_action, name="delegation_action"),
]
