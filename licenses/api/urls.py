"""Licence routes under /api/v1/ (LIC-3..LIC-6, SUB-2, SUB-3)."""

from django.urls import path

from . import views

KEY = "licenses/<str:key>/"

urlpatterns = [
    path("licenses/", views.LicenseListView.as_view(), name="api-licenses"),
    path("licenses/check-in/", views.CheckInView.as_view(), name="api-license-check-in"),
    path("licenses/signing-key/", views.SigningKeyView.as_view(), name="api-license-signing-key"),
    path("licenses/moves/", views.TransferListView.as_view(), name="api-license-moves"),
    path(
        "licenses/moves/<int:pk>/<str:action>/",
        views.TransferAnswerView.as_view(),
        name="api-license-move-answer",
    ),
    path(KEY, views.LicenseDetailView.as_view(), name="api-license-detail"),
    path(KEY + "cancel/", views.CancelView.as_view(), name="api-license-cancel"),
    path(KEY + "void/", views.VoidView.as_view(), name="api-license-void"),
    path(KEY + "swap/", views.SwapView.as_view(), name="api-license-swap"),
    path(KEY + "assign/", views.AssignView.as_view(), name="api-license-assign"),
    path(KEY + "activate/", views.ActivateView.as_view(), name="api-license-activate"),
    path(KEY + "move/", views.MoveView.as_view(), name="api-license-move"),
    path(KEY + "restore/", views.RestoreView.as_view(), name="api-license-restore"),
    path(KEY + "propose-move/", views.ProposeMoveView.as_view(), name="api-license-propose-move"),
]
