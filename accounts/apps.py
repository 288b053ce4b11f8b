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
