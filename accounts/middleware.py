"""The two-factor gate (issue 10 §1): a session that still owes its second factor reaches nothing but the
code page, the set-up page, log-out and static files. HTML is redirected (to the code page, or to the set-up
for a user who must have a second factor and has none); the API answers 403 in its error body."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import twofactor

OPEN_PREFIXES = ("/static/", "/media/", "/i18n/", "/language/", "/health/", "/favicon")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if twofactor.needs_verification(request) and not self._open(request.path_info):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _open(path: str) -> bool:
        allowed = (reverse("two_factor_verify"), reverse("two_factor_setup"), reverse("logout"))
        return path.startswith(OPEN_PREFIXES) or path in allowed

    @staticmethod
    def _refuse(request):
        from portal.api import api_path, error_response

        if api_path(request):
            return error_response(
                403,
                "two_factor_required",
                _("Confirm your log-in with the code of your authenticator app first."),
            )
        target = "two_factor_verify" if twofactor.has_device(request.user) else "two_factor_setup"
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(reverse(target) + (f"?{query}" if query else ""))
