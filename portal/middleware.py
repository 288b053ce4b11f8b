"""Request plumbing: the active account (ACC-2) and idempotency keys (API-2)."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.models import IdempotencyRecord

ACCOUNT_SESSION_KEY = "active_account"


_ACCOUNT_RESOLVERS: list = []


def register_account_resolver(func) -> None:
    """The accounts app answers "which account does this user act for" (``func(user, number) -> Account``);
    the ground floor knows no account model."""
    _ACCOUNT_RESOLVERS[:] = [func]


def resolve_active_account(user, number: str | None):
    """The account the user acts for: the requested one if the user is a member, else the first membership."""
    if not user.is_authenticated or not _ACCOUNT_RESOLVERS:
        return None
    return _ACCOUNT_RESOLVERS[0](user, number)


class ActiveAccountMiddleware:
    """Sets request.account for the HTML UI from the session; the API sets it from X-Account (portal.api)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.account = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            request.account = resolve_active_account(user, request.session.get(ACCOUNT_SESSION_KEY))
            user.active_account = request.account
            if user.language and not request.session.get("language_chosen"):
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class DomainErrorMiddleware:
    """HTML side of 404-for-unseen / 403-for-refused (API-1, UI-1): a NotFound or NotPermitted that a page
    lets through (e.g. from ``access.require``) answers the 404 page or the 403 page with its message,
    never a 500. DRF maps the API's errors itself (portal.api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from portal import views
        from portal.errors import NotFound, NotPermitted

        if isinstance(exception, NotFound):
            return views.not_found(request, exception)
        if isinstance(exception, NotPermitted):
            return views.forbidden(request, exception)
        return None


class IdempotencyMiddleware:
    """API-2: the first response to a creating POST with an ``Idempotency-Key`` is stored and replayed.

    A repeat while the first call still runs answers 409; a repeat with another body answers 422
    (pretix's api middleware does the same). Keys belong to the authenticated user; the user is resolved
    from the session or the DRF token here because token auth happens inside the view.
    """

    HEADER = "HTTP_IDEMPOTENCY_KEY"

    def __init__(self, get_response):
        self.get_response = get_response

    def _user(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Token "):
            from rest_framework.authtoken.models import Token

            token = Token.objects.select_related("user").filter(key=header[6:].strip()).first()
            if token is not None and token.user.is_active:
                return token.user
        return None

    def _claim(self, user, key, request, fingerprint):
        """Insert the key's record, or return the existing one. A record left unfinished longer than
        IDEMPOTENCY_STALE_SECONDS (its process died mid-request) is taken over instead of answering 409."""
        from django.conf import settings

        for _attempt in range(2):
            try:
                with transaction.atomic():
                    return IdempotencyRecord.objects.create(
                        user=user,
                        key=key,
                        method=request.method,
                        path=request.path[:255],
                        request_fingerprint=fingerprint,
                    ), True
            except IntegrityError:
                cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_STALE_SECONDS)
                stale = IdempotencyRecord.objects.filter(
                    user=user, key=key, completed_at__isnull=True, created_at__lt=cutoff
                ).delete()[0]
                if not stale:
                    return IdempotencyRecord.objects.get(user=user, key=key), False
        return IdempotencyRecord.objects.get(user=user, key=key), False

    def __call__(self, request):
        key = request.META.get(self.HEADER)
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        user = self._user(request)
        if user is None:
            return self.get_response(request)
        if len(key) > 255:
            return JsonResponse(
                {
                    "code": "invalid_idempotency_key",
                    "detail": _("Idempotency-Key is longer than 255 characters."),
                    "fields": {},
                },
                status=400,
            )
        fingerprint = hashlib.sha256(request.path.encode() + b"\0" + request.body).hexdigest()
        record, created = self._claim(user, key, request, fingerprint)
        if not created:
            if record.request_fingerprint != fingerprint:
                return JsonResponse(
                    {
                        "code": "idempotency_key_reused",
                        "detail": _("This Idempotency-Key was used for a different request."),
                        "fields": {},
                    },
                    status=422,
                )
            if record.completed_at is None:
                return JsonResponse(
                    {
                        "code": "idempotency_in_progress",
                        "detail": _("A request with this Idempotency-Key is still being processed."),
                        "fields": {},
                    },
                    status=409,
                )
            response = HttpResponse(
                bytes(record.response_body or b""),
                status=record.status_code,
                content_type=record.content_type or "application/json",
            )
            response["Idempotent-Replayed"] = "true"
            return response
        started = time.monotonic()
        try:
            response = self.get_response(request)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()  # a server error is not a result worth replaying
            return response
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        record.status_code = response.status_code
        record.response_body = response.content
        record.content_type = response.get("Content-Type", "")
        record.completed_at = timezone.now()
        record.save(update_fields=["status_code", "response_body", "content_type", "completed_at"])
        response["Idempotency-Duration-Ms"] = str(int((time.monotonic() - started) * 1000))
        return response
