"""Request plumbing: input guards (API-1), the active account (ACC-2) and idempotency keys (API-2)."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.http import HttpResponse
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


class RequestGuardMiddleware:
    """Refuses input no view can handle before any view sees it (issue 10: bad input is never a 500).

    - NUL characters in the path or the query string: PostgreSQL cannot compare them, so a lookup with one
      fails in the database. 400 (the API's error body under /api/).
    - API bodies larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 in the API's error body, before DRF streams
      a JSON body of any size into memory (Django only checks form bodies).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        from portal.api import api_path, error_response, request_too_large

        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "").lower():
            if api_path(request):
                return error_response(400, "invalid_characters", _("The address contains a NUL character."))
            from django.views import defaults

            return defaults.bad_request(request, None)
        if api_path(request) and settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                return request_too_large()
        return self.get_response(request)


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


class HtmxChangedMiddleware:
    """After an htmx request that changed something (any method but GET/HEAD, answered below 400), tell the page
    with ``HX-Trigger: portal:changed``: the bell and the navigation badges reload their counts (UI-1). A
    trigger the view set already is kept."""

    EVENT = "portal:changed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.headers.get("HX-Request") == "true"
            and request.method not in ("GET", "HEAD", "OPTIONS")
            and response.status_code < 400
        ):
            existing = response.get("HX-Trigger", "")
            if not existing:
                response["HX-Trigger"] = self.EVENT
            elif self.EVENT not in existing:
                if existing.lstrip().startswith("{"):
                    import json

                    events = json.loads(existing)
                    events[self.EVENT] = True
                    response["HX-Trigger"] = json.dumps(events)
                else:
                    response["HX-Trigger"] = f"{existing}, {self.EVENT}"
        return response


class DomainErrorMiddleware:
    """HTML side of 404-for-unseen / 403-for-refused (API-1, UI-1): a NotFound or NotPermitted that a page
    lets through (e.g. from ``access.require``) answers the 404 page or the 403 page with its message,
    never a 500. DRF maps the API's errors itself (portal.api.exception_handler)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        retry_after = getattr(request, "retry_after", None)
        if response.status_code == 429 and retry_after and not response.has_header("Retry-After"):
            response["Retry-After"] = str(int(retry_after))  # the same wait as the page's message
        return response

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

    - **Fingerprint**: method, path, query string, the acting account (``X-Account``) and the body. A repeat
      whose fingerprint differs answers 422 (``idempotency_key_reused``); a repeat while the first call still
      runs answers 409 (pretix's api middleware does the same).
    - **Who**: keys belong to the user the API itself authenticates: DRF's authentication classes
      (``REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]``) run here, so a token is checked exactly as the
      view will check it (expiry, revocation, 2FA), never parsed by hand.
    - **Same transaction** (issue 9): the view runs inside ``transaction.atomic()`` and the answer is written
      to the record inside that transaction, so the change and its replayable answer commit together — a
      failure after the change (the record's save, the commit) rolls both back and the client's retry runs
      the request again instead of getting 409 and then a conflict. ``on_commit`` hooks (jobs, mails) still
      fire after the commit.
    - **Not stored**: answers meant to be retried — 401, 403, 408, 409, 423, 425, 429 and every 5xx. Their
      claim is dropped, so a retry after ``Retry-After`` runs again; a 5xx also rolls the view's writes back.
    """

    HEADER = "HTTP_IDEMPOTENCY_KEY"
    RETRYABLE = frozenset({401, 403, 408, 409, 423, 425, 429})

    def __init__(self, get_response):
        self.get_response = get_response

    def _user(self, request):
        """The user as the API authenticates it (DRF's authenticators), or None."""
        from rest_framework.exceptions import APIException
        from rest_framework.request import Request
        from rest_framework.settings import api_settings

        drf_request = Request(
            request, authenticators=[cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
        )
        had_user, original = hasattr(request, "user"), getattr(request, "user", None)
        try:
            user = drf_request.user
        except APIException:
            return None  # refused credentials: the view answers 401/403 itself, nothing is stored
        finally:
            # DRF's Request writes the user it found onto the Django request; leave that to the view.
            if had_user:
                request.user = original
            elif hasattr(request, "user"):
                del request.user
        return user if user is not None and user.is_authenticated else None

    @staticmethod
    def fingerprint(request, body: bytes) -> str:
        parts = [
            request.method.encode(),
            request.path.encode(),
            request.META.get("QUERY_STRING", "").encode(),
            request.META.get("HTTP_X_ACCOUNT", "").strip().encode(),
            body,
        ]
        digest = hashlib.sha256()
        for part in parts:
            digest.update(len(part).to_bytes(8, "big"))  # length-prefixed: no two splits hash alike
            digest.update(part)
        return digest.hexdigest()

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

    def storable(self, response) -> bool:
        return (
            response.status_code < 500
            and response.status_code not in self.RETRYABLE
            and not getattr(response, "streaming", False)
        )

    def __call__(self, request):
        from django.core.exceptions import RequestDataTooBig

        from portal.api import error_response, request_too_large

        key = request.META.get(self.HEADER)
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        user = self._user(request)
        if user is None:
            return self.get_response(request)
        if len(key) > 255:
            return error_response(
                400, "invalid_idempotency_key", _("Idempotency-Key is longer than 255 characters.")
            )
        try:
            body = request.body
        except RequestDataTooBig:
            return request_too_large()
        fingerprint = self.fingerprint(request, body)
        record, created = self._claim(user, key, request, fingerprint)
        if not created:
            if record.request_fingerprint != fingerprint:
                return error_response(
                    422, "idempotency_key_reused", _("This Idempotency-Key was used for a different request.")
                )
            if record.completed_at is None:
                return error_response(
                    409,
                    "idempotency_in_progress",
                    _("A request with this Idempotency-Key is still being processed."),
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
            with transaction.atomic():
                response = self.get_response(request)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                if self.storable(response):
                    # Written in the view's transaction: the change and its replayable answer commit together.
                    IdempotencyRecord.objects.filter(pk=record.pk).update(
                        status_code=response.status_code,
                        response_body=response.content,
                        content_type=response.get("Content-Type", ""),
                        completed_at=timezone.now(),
                    )
                else:
                    if response.status_code >= 500:
                        transaction.set_rollback(
                            True
                        )  # a failed request changes nothing; the retry runs again
                    else:
                        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        except Exception:
            IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).delete()
            raise
        if response.status_code >= 500:
            IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).delete()
        response["Idempotency-Duration-Ms"] = str(int((time.monotonic() - started) * 1000))
        return response
