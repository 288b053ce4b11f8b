from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .forms import PortalPasswordResetForm

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        views.PasswordResetView.as_view(form_class=PortalPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("login/verify/", views.two_factor_verify, name="two_factor_verify"),
    path("2fa/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("2fa/recovery-codes/", views.recovery_codes_renew, name="two_factor_recovery_codes"),
    path("2fa/disable/", views.two_factor_disable, name="two_factor_disable"),
    path("profile/", views.profile, name="profile"),
    path("language/", views.set_language, name="set_language_pref"),
    path("switch-account/", views.switch_account, name="switch_account"),
    path("profile/tokens/", views.api_token_create, name="api_token_create"),
    path("profile/tokens/<str:token_key>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    path("profile/logout-everywhere/", views.log_out_everywhere, name="log_out_everywhere"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/<int:pk>/", views.invitation_detail, name="invitation_detail"),
    path("invitations/<int:pk>/withdraw/", views.invitation_withdraw, name="invitation_withdraw"),
    path("accounts/", views.account_list, name="account_list"),
    path("accounts/<str:number>/", views.account_detail, name="account_detail"),
    path("accounts/<str:number>/edit/", views.account_edit, name="account_edit"),
    path("accounts/<str:number>/erase/", views.account_erase, name="account_erase"),
    path("accounts/<str:number>/members/invite/", views.member_invite, name="member_invite"),
    path("accounts/<str:number>/members/<int:user_id>/roles/", views.member_roles, name="member_roles"),
    path("accounts/<str:number>/members/<int:user_id>/remove/", views.member_remove, name="member_remove"),
]
