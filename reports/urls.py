"""Report pages, included under /reports/ by portal.urls."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="reports_index"),
    path("licenses/", views.license_report, name="report_licenses"),
    path("subscriptions/", views.subscription_report, name="report_subscriptions"),
    path("statements/", views.statement, name="report_statement"),
    path("destinations/", views.destination_list, name="report_destinations"),
    path("destinations/<int:pk>/", views.destination_detail, name="report_destination"),
    path("destinations/<int:pk>/delete/", views.destination_delete, name="report_destination_delete"),
    path("destinations/<int:pk>/secret/", views.destination_rotate_secret, name="report_destination_secret"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="report_delivery"),
    path("deliveries/<int:pk>/resend/", views.delivery_resend, name="report_delivery_resend"),
]
