"""Licence API (API-1, API-2; LIC-3..LIC-6, SUB-2, SUB-3). Lists are the authority's visible set, single
licences answer 404 when unseen (and for keys that are not valid keys), actions go through the services.

``POST /api/v1/licenses/check-in/`` needs no log-in (the key is the credential), is throttled per key and per
address, and every answer — also refusals — is signed: ``X-Signature: ed25519=<base64>`` over the exact body
bytes, which echo the client's nonce. ``GET /api/v1/licenses/signing-key/`` publishes the public key.
"""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from licenses import selectors, services, signing
from licenses.transitions import LICENSE, TRANSFER
from portal import ratelimit
from portal.api import ActiveAccountMixin
from portal.clientip import client_ip
from portal.errors import NotFound, RateLimited, RuleViolation

from .serializers import (
    ActivateInputSerializer,
    ActivationOutputSerializer,
    AssignInputSerializer,
    CheckInInputSerializer,
    IssueInputSerializer,
    LicenseDetailSerializer,
    LicenseOutputSerializer,
    MoveInputSerializer,
    RestoreInputSerializer,
    SwapInputSerializer,
    TransferOutputSerializer,
    VoidInputSerializer,
    license_rows,
)

LIST_FILTERS = [
    OpenApiParameter("kind", str),
    OpenApiParameter("status", str),
    OpenApiParameter("product", str, description="Article number"),
    OpenApiParameter("holder", str, description="Customer number of the holder"),
    OpenApiParameter("q", str, description="A licence key, or part of the holder's name"),
    OpenApiParameter("cursor", str, description="From the previous page's `next`"),
    OpenApiParameter("page_size", int),
]


def _detail(request, license, code=status.HTTP_200_OK) -> Response:
    context = {
        "activations": list(selectors.activations_of(license)[:100]),
        "actions": LICENSE.actions_for(request.user, license),
    }
    return Response(LicenseDetailSerializer(license, context=context).data, status=code)


def _product(article_number: str, field: str = "product"):
    product = selectors.product_by_article(article_number)
    if product is None:
        raise RuleViolation(
            _("Unknown product."), code="unknown_product", fields={field: [_("Unknown article number.")]}
        )
    return product


class LicenseListView(ActiveAccountMixin, APIView):
    """The licences you see (keyset pages, newest first) and issuing a licence as the active reseller account."""

    @extend_schema(
        operation_id="v1_licenses_list",
        parameters=LIST_FILTERS,
        responses=inline_serializer(
            "LicensePage",
            {"results": LicenseOutputSerializer(many=True), "next": serializers.CharField(allow_null=True)},
        ),
    )
    def get(self, request):
        params = request.query_params
        queryset = selectors.filter_licenses(
            selectors.licenses_visible_to(request.user),
            kind=params.get("kind", ""),
            status=params.get("status", ""),
            product=params.get("product", ""),
            holder=params.get("holder", ""),
            q=params.get("q", "")[:100],
        )
        try:
            size = int(params.get("page_size", 50))
        except ValueError:
            raise RuleViolation(
                _("page_size must be a number."), code="invalid", fields={"page_size": [_("A number.")]}
            ) from None
        rows, cursor = selectors.page(queryset, params.get("cursor"), size)
        next_url = None
        if cursor:
            query = params.copy()
            query["cursor"] = cursor
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response({"results": license_rows(rows), "next": next_url})

    @extend_schema(
        request=IssueInputSerializer,
        responses={201: LicenseDetailSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
    )
    def post(self, request):
        data = IssueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        issuer = request.account
        if issuer is None:
            raise RuleViolation(
                _("Choose the reseller account you issue for (X-Account)."),
                code="account_required",
                fields={"account": [_("Required.")]},
            )
        holder = selectors.customer_for_reseller(request.user, issuer, values["holder"])
        tenant = None
        if values.get("tenant"):
            tenant = selectors.tenant_by_number(request.user, values["tenant"])
        group = selectors.group_by_code(values["group"]) if values.get("group") else None
        license = services.issue_license(
            actor=request.user,
            issuer=issuer,
            holder=holder,
            product=_product(values["product"]),
            kind=values["kind"],
            group=group,
            tenant=tenant,
            quantity=values.get("quantity", 1),
            demo_days=values.get("demo_days"),
            term=values.get("term"),
        )
        return _detail(request, selectors.license_for(request.user, license.key), status.HTTP_201_CREATED)


class LicenseDetailView(ActiveAccountMixin, APIView):
    @extend_schema(responses=LicenseDetailSerializer)
    def get(self, request, key):
        return _detail(request, selectors.license_for(request.user, key))


class _ActionView(ActiveAccountMixin, APIView):
    input_serializer = None

    def post(self, request, key):
        license = selectors.license_for(request.user, key)
        values = {}
        if self.input_serializer is not None:
            data = self.input_serializer(data=request.data)
            data.is_valid(raise_exception=True)
            values = data.validated_data
        result = self.act(request, license, values)
        if isinstance(result, Response):
            return result
        return _detail(request, selectors.license_for(request.user, license.key))


class CancelView(_ActionView):
    @extend_schema(request=None, responses=LicenseDetailSerializer)
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        services.cancel_license(actor=request.user, license=license)


class VoidView(_ActionView):
    input_serializer = VoidInputSerializer

    @extend_schema(request=VoidInputSerializer, responses=LicenseDetailSerializer)
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        services.void_license(actor=request.user, license=license, reason=values["reason"])


class SwapView(_ActionView):
    input_serializer = SwapInputSerializer

    @extend_schema(request=SwapInputSerializer, responses={201: LicenseDetailSerializer})
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        new = services.swap_license(
            actor=request.user,
            license=license,
            product=_product(values["product"]),
            term=values.get("term"),
            quantity=values.get("quantity"),
        )
        return _detail(request, selectors.license_for(request.user, new.key), status.HTTP_201_CREATED)


class AssignView(_ActionView):
    input_serializer = AssignInputSerializer

    @extend_schema(request=AssignInputSerializer, responses=LicenseDetailSerializer)
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        user = None
        if values.get("user"):
            user = selectors.members_of(license.holder).filter(email__iexact=values["user"]).first()
            if user is None:
                raise RuleViolation(
                    _("Licences can only be assigned to members of the holding account."),
                    code="not_a_member",
                    fields={"user": [_("Not a member.")]},
                )
        services.assign_license(actor=request.user, license=license, user=user)


class ActivateView(_ActionView):
    input_serializer = ActivateInputSerializer

    @extend_schema(request=ActivateInputSerializer, responses={201: ActivationOutputSerializer})
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        activation = services.activate_license(
            actor=request.user, license=license, fingerprint=values["fingerprint"]
        )
        return Response(ActivationOutputSerializer(activation).data, status=status.HTTP_201_CREATED)


class MoveView(_ActionView):
    input_serializer = MoveInputSerializer

    @extend_schema(request=MoveInputSerializer, responses={201: ActivationOutputSerializer})
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        activation = services.move_license(
            actor=request.user,
            license=license,
            from_fingerprint=values["from_fingerprint"],
            to_fingerprint=values["to_fingerprint"],
        )
        return Response(ActivationOutputSerializer(activation).data, status=status.HTTP_201_CREATED)


class RestoreView(_ActionView):
    input_serializer = RestoreInputSerializer

    @extend_schema(request=RestoreInputSerializer, responses=LicenseDetailSerializer)
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        services.restore_license(
            actor=request.user, license=license, fingerprint=values.get("fingerprint") or None
        )


class ProposeMoveView(_ActionView):
    @extend_schema(request=None, responses={201: TransferOutputSerializer})
    def post(self, request, key):
        return super().post(request, key)

    def act(self, request, license, values):
        transfer = services.propose_move(actor=request.user, license=license)
        return Response(TransferOutputSerializer(transfer).data, status=status.HTTP_201_CREATED)


class TransferListView(ActiveAccountMixin, APIView):
    @extend_schema(responses=TransferOutputSerializer(many=True))
    def get(self, request):
        return Response(TransferOutputSerializer(selectors.transfers_for(request.user), many=True).data)


class TransferAnswerView(ActiveAccountMixin, APIView):
    @extend_schema(request=None, responses=TransferOutputSerializer)
    def post(self, request, pk, action):
        if action not in TRANSFER.transitions:
            raise NotFound()
        transfer = selectors.transfer_for(request.user, pk)
        transfer = services.answer_move(actor=request.user, transfer=transfer, action=action)
        return Response(TransferOutputSerializer(transfer).data)


# --- Check-in (no log-in) -----------------------------------------------------------------------------------

MAX_CHECK_IN_BODY = 4096


def signed_json(payload: dict, status_code: int = 200, headers: dict | None = None) -> HttpResponse:
    body = json.dumps(
        payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
    ).encode()
    response = HttpResponse(body, status=status_code, content_type="application/json")
    response[signing.HEADER] = signing.sign(body)
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _refusal(
    code: str, detail, nonce, status_code: int, fields: dict | None = None, headers=None
) -> HttpResponse:
    # The API's one error shape (API-1); signed like every check-in answer. A refusal says nothing about a
    # licence, so it carries no nonce to bind it to.
    payload = {"code": code, "detail": str(detail), "fields": fields or {}}
    return signed_json(payload, status_code, headers)


class CheckInView(APIView):
    """Client software validates a key. No session or token: the key is the credential."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=CheckInInputSerializer,
        responses={200: OpenApiTypes.OBJECT},
        description="Signed answer: `X-Signature: ed25519=<base64>` over the exact body bytes.",
        auth=[],
    )
    def post(self, request):
        raw = request.body[: MAX_CHECK_IN_BODY + 1]
        nonce = None
        try:
            payload = json.loads(raw) if len(raw) <= MAX_CHECK_IN_BODY else None
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return _refusal("invalid", _("Send a JSON object with key, fingerprint and nonce."), None, 400)
        nonce = payload.get("nonce") if isinstance(payload.get("nonce"), str) else None
        data = CheckInInputSerializer(data=payload)
        if not data.is_valid():
            fields = {name: [str(m) for m in messages] for name, messages in data.errors.items()}
            return _refusal("invalid", _("Send key, fingerprint and nonce."), nonce, 400, fields)
        values = data.validated_data
        key_identity = hashlib.sha256(
            values["key"].upper().replace("-", "").replace(" ", "").encode()
        ).hexdigest()
        try:
            # One transaction for the throttle counters and the check-in: one commit per request.
            with transaction.atomic():
                _relaxed_commit()
                ratelimit.hit("license_check_in_client", client_ip(request) or "unknown")
                ratelimit.hit("license_check_in_key", key_identity)
                answer = services.check_in(
                    key=values["key"], fingerprint=values["fingerprint"], nonce=values["nonce"]
                )
        except RateLimited as exc:
            seconds = ratelimit_retry(exc)
            return _refusal(
                "rate_limited", exc.detail, values["nonce"], 429, headers={"Retry-After": str(seconds)}
            )
        return signed_json(answer)


def _relaxed_commit() -> None:
    """PostgreSQL: this transaction's commit does not wait for the disk (``synchronous_commit = off``, for this
    transaction only). What it writes — throttle counts, "last seen", a recall — may be lost in a crash of the
    database server, never half-written; a lost recall is repeated at the next check-in. Saves the flush that
    otherwise dominates a check-in."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def ratelimit_retry(exc: RateLimited) -> int:
    from portal.api import retry_after_seconds

    return retry_after_seconds(exc)


class SigningKeyView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "SigningKey", {"algorithm": serializers.CharField(), "public_key": serializers.CharField()}
        ),
        auth=[],
    )
    def get(self, request):
        return Response({"algorithm": "ed25519", "public_key": signing.public_key_pem()})
