from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from portal.context_processors import register_context
        from portal.middleware import register_account_resolver
        from portal.selectors import register_dashboard_section

        from . import access, invitations, selectors, signals

        access.register()  # memberships, vendor staff: sources of rights (portal.access)
        invitations.register()  # who sees and answers membership invitations (issue 10)
        register_account_resolver(selectors.active_account_for)
        register_context(lambda request: {"my_accounts": selectors.accounts_of(request.user)})

        from django.urls import reverse

        from portal import audit_text

        from .models import AccountKind, AccountPurpose, Role

        # DEL-7 trail in words: coded values of account events, and where an account event's object is shown.
        audit_text.register_value_labels("kind", AccountKind.choices)
        audit_text.register_value_labels("purpose", AccountPurpose.choices)
        for key in ("roles", "added", "removed"):
            audit_text.register_value_labels(key, Role.choices)

        def account_link(event):
            number = (event.target_repr or "").split(" ", 1)[0]
            if number.startswith("K-"):
                return reverse("account_detail", args=[number])
            return reverse("account_detail", args=[f"~{event.target_id}"]) if event.target_id else None

        audit_text.register_object_link("accounts.account", account_link)
        register_dashboard_section(invitations.dashboard_section)

        # Issue 10 two-factor: a device at log-in means a code is owed; a removed device ends the sessions.
        user_logged_in.connect(signals.remember_second_factor, dispatch_uid="accounts.2fa.login")
        for model in (TOTPDevice, StaticDevice):
            post_delete.connect(
                signals.device_removed, sender=model, dispatch_uid=f"accounts.2fa.{model.__name__}"
            )
