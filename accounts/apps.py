from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from portal.context_processors import register_context
        from portal.middleware import register_account_resolver

        from . import access, selectors

        access.register()  # memberships, vendor staff: sources of rights (portal.access)
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
