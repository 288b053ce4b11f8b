"""Signed webhook calls that cannot be pointed at the portal's own network. Implements REP-4.

Signature (like Stripe's): header ``Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret,
"<t>.<body>")>``. A receiver recomputes the HMAC over the timestamp, a dot and the raw body, compares in
constant time and refuses timestamps older than a few minutes (``verify_signature`` is that check).

SSRF: the host is resolved once; if any address is loopback, link-local, private, multicast, reserved or
unspecified the call is refused (``UnsafeURL``) unless ``REPORTS_WEBHOOK_ALLOW_PRIVATE`` is set. The
connection then goes to that checked address (the ``Host`` header and TLS SNI carry the name), so a DNS answer
that changes between the check and the connect (rebinding) cannot reach an internal address. Redirects are
not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

SIGNATURE_HEADER = "Portal-Signature"
TOLERANCE_SECONDS = 300


class UnsafeURL(ValueError):
    """The URL is not http(s) or resolves to an address the portal must not call."""


class WebhookError(Exception):
    """A transient failure: the outbox retries (connection refused, timeout, a non-2xx answer)."""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(secret: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    """The receiver's check: a v1 HMAC over ``t.body`` that matches, with a fresh timestamp."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(url: str, *, when_saving: bool = False) -> tuple[str, str, int, list[str]]:
    """(scheme, host, port, checked addresses) or ``UnsafeURL`` with a sentence for the user.

    A host name that does not resolve is a transient ``WebhookError`` when sending (DNS may be back on the
    next attempt) and accepted when saving (the check runs again before every call)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(_("Only http and https URLs with a host name are allowed."))
    if parts.username or parts.password:
        raise UnsafeURL(_("The URL must not contain a user name or password."))
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        if when_saving:
            return parts.scheme, host, port, []
        raise WebhookError(f"{host} cannot be resolved: {exc}") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not settings.REPORTS_WEBHOOK_ALLOW_PRIVATE:
        blocked = [a for a in addresses if not _is_public(a)]
        if blocked:
            raise UnsafeURL(
                _("%(host)s resolves to an internal address (%(address)s); webhooks must reach the internet.")
                % {"host": host, "address": blocked[0]}
            )
    return parts.scheme, host, port, addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Answer:
    status: int
    body: bytes


def post(url: str, body: bytes, *, secret: str, headers: dict | None = None) -> Answer:
    """POST ``body`` (JSON) signed with ``secret`` to ``url``, connected to the address the check passed."""
    scheme, host, port, addresses = check_url(url)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    cls = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    connection = cls(host, port, addresses[0], timeout=settings.REPORTS_WEBHOOK_TIMEOUT)
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": "PartnerPortal-Webhook/1",
        SIGNATURE_HEADER: sign(secret, body),
        **(headers or {}),
    }
    try:
        connection.request("POST", path, body=body, headers=all_headers)
        response = connection.getresponse()
        return Answer(status=response.status, body=response.read(2048))
    except (OSError, http.client.HTTPException) as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
