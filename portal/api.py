"""API plumbing shared by every app: one exception handler, pagination, the active account. Implements API-1.

Every error body is ``{"code": ..., "detail": ..., "fields": {...}}``.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError, RateLimited


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _flatten(detail):
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [str(item) if not isinstance(item, dict | list) else _flatten(item) for item in detail]
    return [str(detail)]


def error_body(code: str, detail, fields: dict | None = None) -> dict:
    return {"code": code, "detail": str(detail), "fields": fields or {}}


def error_response(status_code: int, code: str, detail, fields: dict | None = None) -> JsonResponse:
    """The error body outside DRF (middleware, Django's error handlers for /api/ paths)."""
    return JsonResponse(error_body(code, detail, fields), status=status_code)


def retry_after_seconds(exc: RateLimited) -> int:
    return max(1, math.ceil(getattr(exc, "retry_after", None) or 60))


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        fields = {
            key: [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
            for key, value in exc.fields.items()
        }
        response = Response(error_body(exc.code, exc.detail, fields), status=exc.status_code)
        if isinstance(exc, RateLimited):
            # The same wait as the message names (portal.ratelimit computes both from one window).
            response["Retry-After"] = str(retry_after_seconds(exc))
        return response
    if isinstance(exc, DjangoValidationError):
        fields = (
            {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {}
        )
        detail = "; ".join(str(m) for m in exc.messages)
        return Response(error_body("invalid", detail, fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    if isinstance(exc, exceptions.ValidationError):
        fields = (
            _flatten(exc.detail)
            if isinstance(exc.detail, dict)
            else {"non_field_errors": _flatten(exc.detail)}
        )
        first = next(iter(fields.values()), [_("Invalid input.")])
        detail = (
            first[0]
            if isinstance(first, list) and first and isinstance(first[0], str)
            else _("Invalid input.")
        )
        response.data = error_body("invalid", detail, fields)
    else:
        codes = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        code = codes if isinstance(codes, str) else getattr(exc, "default_code", "error")
        response.data = error_body(
            code, exc.detail if not isinstance(exc.detail, dict | list) else exc.default_detail
        )
    return response


class ActiveAccountMixin:
    """Sets ``request.account`` from the ``X-Account`` header (customer number) before any handler."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        from portal.middleware import resolve_active_account

        user = request.user
        number = request.headers.get("X-Account") or request.query_params.get("account")
        account = resolve_active_account(user, number) if user.is_authenticated else None
        # A number the user is not a member of is refused, also for a user without any membership.
        if number and (account is None or (account.number != number and str(account.pk) != number)):
            raise exceptions.PermissionDenied(
                _("You are not a member of account %(number)s.") % {"number": number}
            )
        request.account = account
        if user.is_authenticated:
            user.active_account = account

    def finalize_response(self, request, response, *args, **kwargs):
        """Errors are ``{code, detail, fields}`` in JSON whatever format the request negotiated (``?format=csv``
        or ``pdf`` on the report views): a CSV or PDF renderer never renders an error body."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            from rest_framework.renderers import JSONRenderer

            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


def api_path(request) -> bool:
    return request.path_info.startswith("/api/")


def json_error_for(request, status_code: int, exception=None) -> JsonResponse:
    """Django's error handlers (404, 403, 400, 500) for /api/ paths: the API's error body, never HTML."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent

    if status_code == 404:
        return error_response(404, "not_found", _("Not found."))
    if status_code == 403:
        return error_response(
            403, "permission_denied", _("You do not have permission to perform this action.")
        )
    if status_code == 400:
        if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
            return request_too_large()
        return error_response(400, "bad_request", _("The request could not be read."))
    return error_response(500, "server_error", _("An unexpected error occurred. Please try again later."))


def request_too_large() -> JsonResponse:
    return error_response(
        413,
        "request_too_large",
        _("The request body is larger than %(size)d bytes.") % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
    )
