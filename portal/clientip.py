"""The client's address behind trusted reverse proxies: one function for the log-in lock-out (django-axes,
``AXES_CLIENT_IP_CALLABLE``) and the per-address rate limits (portal.ratelimit). Issue 10 §1.

Behind the TLS proxy the README recommends, ``REMOTE_ADDR`` is the proxy for every client, so one attacker
could lock everybody out; ``X-Forwarded-For`` is written by the client, so trusting it without a proxy lets
an attacker pick a fresh address per guess. The rules (those of nginx's ``real_ip_recursive`` and
Werkzeug's ``ProxyFix(x_for=N)``):

* Neither ``TRUSTED_PROXIES`` nor ``PROXY_COUNT`` set: ``REMOTE_ADDR``; ``X-Forwarded-For`` is ignored.
* ``TRUSTED_PROXIES`` (addresses or networks): only when the direct peer is one of them, the header is read
  from the right, skipping trusted proxies; the first other address is the client.
* ``PROXY_COUNT = N`` (without ``TRUSTED_PROXIES``): the N-th entry from the right (each proxy appends the
  address it received the request from); a shorter header falls back to ``REMOTE_ADDR``.

Why not django-ipware: version 8's strict chain validation returns no address at all for the usual
one-proxy chain (``X-Forwarded-For: <client>`` from nginx with ``proxy_count=1``), which would put every
client into one lock-out bucket again.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


def _address(value: str) -> str | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:51234
        value = value.split(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _trusted(address: str | None, networks) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in networks)


def client_ip(request) -> str | None:
    """The client's address for lock-out and rate limits (see the module docstring)."""
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    count = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    if not proxies and count <= 0:
        return remote
    chain = [_address(part) for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [address for address in chain if address is not None]
    if proxies:
        networks = _networks(proxies)
        if not _trusted(remote, networks):
            return remote  # not sent by our proxy: the header is the client's own claim
        for address in reversed(chain):
            if not _trusted(address, networks):
                return address
        return chain[0] if chain else remote
    if len(chain) >= count:
        return chain[-count]
    return remote
