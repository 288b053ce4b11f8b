"""API plumbing shared by every app: one exception handler, pagination, the active account. Implements API-1.

Every error body is ``{"code": ..., "detail": ..., "fields": {...}}``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError


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


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        fields = {
            key: [str(m) for m in (value if isinstance(value, list | tuple) else [value])]
            for key, value in exc.fields.items()
        }
        response = Response(error_body(exc.code, exc.detail, fields), status=exc.status_code)
        if exc.status_code == 429:
            response["Retry-After"] = "60"
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
