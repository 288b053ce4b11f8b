"""Pluggable MX checkers for the consistency check. Implements TEN-7 ("DNS/MX not pointing to us").

``settings.PORTAL_DNS_CHECKER`` names the class (dotted path). Both answer ``check_mx(name) -> MxResult``:

- ``DnsPythonChecker`` (production): resolves the MX records with dnspython and compares the exchanges with
  ``settings.PORTAL_MX_TARGETS`` (a host matches a target when it is the target or a sub-domain of it).
- ``DeterministicChecker`` (tests, demo, machines without network): no network; the answer follows from the
  name, so a test or the demo can produce every outcome:
  first label ``nomx…`` → no MX record; ``legacy…`` or ``old…`` → MX at ``mx.legacy-provider.example``;
  ``nxdomain…`` → the domain does not exist; ``dnsfail…`` → a resolver error; anything else → MX at the first
  configured target. ``PORTAL_DNS_CHECK_DELAY`` seconds are slept per domain to show progress in demos.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string

OK = "ok"
ELSEWHERE = "elsewhere"  # MX records exist but none points to us
NO_MX = "no_mx"
NO_DOMAIN = "no_domain"
ERROR = "error"


@dataclass(frozen=True)
class MxResult:
    status: str
    hosts: tuple[str, ...] = field(default_factory=tuple)
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK


def targets() -> tuple[str, ...]:
    return tuple(host.strip().rstrip(".").lower() for host in settings.PORTAL_MX_TARGETS if host.strip())


def points_to_us(host: str, our_targets: tuple[str, ...]) -> bool:
    host = host.rstrip(".").lower()
    return any(host == target or host.endswith("." + target) for target in our_targets)


def classify(hosts: list[str], our_targets: tuple[str, ...]) -> MxResult:
    hosts_tuple = tuple(sorted(host.rstrip(".").lower() for host in hosts))
    if not hosts_tuple:
        return MxResult(NO_MX)
    if any(points_to_us(host, our_targets) for host in hosts_tuple):
        return MxResult(OK, hosts_tuple)
    return MxResult(ELSEWHERE, hosts_tuple)


class DnsPythonChecker:
    """Production checker: real MX lookups with dnspython (timeouts are an ``error`` result, never raised)."""

    def __init__(self, timeout: float | None = None):
        self.timeout = timeout if timeout is not None else settings.PORTAL_DNS_TIMEOUT

    def check_mx(self, name: str) -> MxResult:
        import dns.exception
        import dns.resolver

        try:
            answer = dns.resolver.resolve(name, "MX", lifetime=self.timeout)
        except dns.resolver.NXDOMAIN:
            return MxResult(NO_DOMAIN)
        except (dns.resolver.NoAnswer, dns.resolver.NoNameservers) as exc:
            if isinstance(exc, dns.resolver.NoAnswer):
                return MxResult(NO_MX)
            return MxResult(ERROR, detail=str(exc)[:200])
        except dns.exception.DNSException as exc:
            return MxResult(ERROR, detail=str(exc)[:200] or type(exc).__name__)
        hosts = [record.exchange.to_text(omit_final_dot=True) for record in answer]
        # RFC 7505 "null MX" (a single "." exchange) means the domain accepts no mail.
        hosts = [host for host in hosts if host not in ("", ".")]
        return classify(hosts, targets())


class DeterministicChecker:
    """Network-free checker whose answer depends only on the name (see the module docstring)."""

    LEGACY_HOST = "mx.legacy-provider.example"

    def check_mx(self, name: str) -> MxResult:
        delay = float(getattr(settings, "PORTAL_DNS_CHECK_DELAY", 0) or 0)
        if delay:
            time.sleep(delay)
        first = name.split(".", 1)[0]
        if first.startswith("nxdomain"):
            return MxResult(NO_DOMAIN)
        if first.startswith("dnsfail"):
            return MxResult(ERROR, detail="simulated resolver failure")
        if first.startswith("nomx"):
            return MxResult(NO_MX)
        if first.startswith(("legacy", "old")):
            return classify([self.LEGACY_HOST], targets())
        ours = targets()
        return classify([ours[0]] if ours else [], ours)


@lru_cache(maxsize=8)
def _checker_class(path: str):
    return import_string(path)


def get_checker():
    """An instance of the configured checker (``settings.PORTAL_DNS_CHECKER``)."""
    return _checker_class(settings.PORTAL_DNS_CHECKER)()
