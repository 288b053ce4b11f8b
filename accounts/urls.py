from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language_pref"),
    path("switch-account/", views.switch_account, name="switch_account"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<str:number>/", views.account_detail, name="account_detail"),
    path("accounts/<str:number>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<str:number>/members/invite/", views.member_invite, name="member_invite"),
    path("accounts/<str:number>/members/<int:user_id>/roles/", views.member_roles, name="member_roles"),
    path("accounts/<str:number>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
]
