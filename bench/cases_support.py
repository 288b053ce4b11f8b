"""Benchmark of the support lookup (SUP-5, issue 12): one indexed query per kind of key at 100,000 accounts.

World: ``--support-accounts`` accounts in total (default 100,000; the base world's customers count), each
added one with a contact e-mail ``info<i>@firma<i // 3>.example`` (three accounts per e-mail domain) and a
user ``user<i>@firma<i // 3>.example`` who is a member; one licence for a tenant.

Jobs (HTTP through Django's test client, as vendor support staff), one per search kind — customer number,
user e-mail, account e-mail, e-mail domain, tenant number, licence key:

- "support lookup: <kind>": ``GET /api/v1/support/entitlement/?q=…&card=false`` (recognize, normalize, check
  the right, the indexed query, serialize the matches) against the bare view running the same indexed query
  (no access check, no serializer). Target: p50 ≤ 1.5× the bare view, and the same queries at any size.
- "support card: <kind>": the full answer card for the same key (entitlement with its reasons, core hours,
  contracts, caretakers, related accounts, tickets, set-up check, who has access): its query count must be
  constant; the time is reported against the same bare view for information.
"""

from __future__ import annotations

from urllib.parse import urlencode

from .cases import Bare, bare_query, job, job_result
from .world import vacuum_analyze, world_builder

SUPPORT_EMAIL = "bench-support@bench.example"
FIRST_NUMBER = 2_000_000
PROBE = 54_321  # the probed account among the added ones
# Session, user, memberships, the lookup right and the indexed query: the same at any number of accounts.
LOOKUP_QUERY_BUDGET = 8
CARD_QUERY_BUDGET = 45


def _target(world: dict) -> int:
    return world["options"].get("support_accounts", 100_000)


def _support_built(world: dict) -> bool:
    from accounts.models import Account

    return (
        Account.objects.count() >= _target(world)
        and Account.objects.filter(number=f"K-{FIRST_NUMBER + PROBE}").exists()
    )


@world_builder(built=_support_built)
def add_support_accounts(world: dict) -> None:
    from django.db import transaction

    from accounts.models import Account, Membership, User
    from licenses.keys import generate_key
    from licenses.models import License, Product
    from tenants.models import Tenant

    missing = max(_target(world) - Account.objects.count(), PROBE + 1)
    with transaction.atomic():
        vendor = Account.objects.create(
            number="K-899999", name="Bench Vendor", kind="vendor", contact_email="info@vendor.bench.example"
        )
        staff = User.objects.create_user(email=SUPPORT_EMAIL, password="bench", name="Bench Support")
        Membership.objects.create(user=staff, account=vendor, role="support")
        for start in range(0, missing, 5000):
            chunk = range(start, min(start + 5000, missing))
            accounts = Account.objects.bulk_create(
                [
                    Account(
                        number=f"K-{FIRST_NUMBER + i}",
                        name=f"Firma {i} GmbH",
                        kind="customer",
                        purpose="production",
                        contact_email=f"info{i}@firma{i // 3}.example",
                    )
                    for i in chunk
                ],
                batch_size=1000,
            )
            users = User.objects.bulk_create(
                [User(email=f"user{i}@firma{i // 3}.example", password="!") for i in chunk], batch_size=1000
            )
            Membership.objects.bulk_create(
                [Membership(user=u, account=a, role="owner") for u, a in zip(users, accounts, strict=True)],
                batch_size=1000,
            )
        probe = Account.objects.get(number=f"K-{FIRST_NUMBER + PROBE}")
        tenant = Tenant.objects.create(number="T-990001", name="Bench Support Mandant", account=probe)
        product, _created = Product.objects.get_or_create(
            article_number="BENCH-SUP", defaults={"name": "Bench", "product_code": "BENCH"}
        )
        from django.utils import timezone

        License.objects.create(
            key=generate_key(),
            kind="full",
            product=product,
            holder=probe,
            issuer=probe,
            tenant=tenant,
            issued_at=timezone.now(),
        )
    vacuum_analyze()


def _values(world: dict) -> dict[str, tuple[str, str]]:
    """kind → (what support types, the bare query's search value)."""
    from licenses.models import License

    key = License.objects.filter(tenant__number="T-990001").values_list("key", flat=True).first()
    return {
        "customer number": (f"k {FIRST_NUMBER + PROBE}", f"K-{FIRST_NUMBER + PROBE}"),
        "user e-mail": (f"User{PROBE}@Firma{PROBE // 3}.example", f"user{PROBE}@firma{PROBE // 3}.example"),
        "account e-mail": (
            f"info{PROBE}@firma{PROBE // 3}.example",
            f"info{PROBE}@firma{PROBE // 3}.example",
        ),
        "e-mail domain": (f"@firma{PROBE // 3}.example", f"firma{PROBE // 3}.example"),
        "tenant number": ("t-990001", "T-990001"),
        "licence key": (key.lower().replace("-", " "), key),
    }


def _bare_accounts():
    from accounts.models import Account

    return Account.objects.values_list("number", "name", "purpose", "contact_email")


@bare_query("support_customer_number")
def _by_number(order: str, search: str):
    return _bare_accounts().filter(number=search)


def _by_email(search: str):
    """Both lookups of an e-mail as ONE statement: accounts with that contact e-mail UNION the accounts of the
    user with that e-mail (lower(email) index → memberships) — what the lookup does in two index queries."""
    from django.db.models.functions import Lower

    from accounts.models import Membership, User

    users = User.objects.alias(email_lower=Lower("email")).filter(email_lower=search).values("pk")
    members = _bare_accounts().filter(pk__in=Membership.objects.filter(user__in=users).values("account_id"))
    return _bare_accounts().filter(contact_email=search).union(members)


@bare_query("support_user_email")
def _by_user_email(order: str, search: str):
    return _by_email(search)


@bare_query("support_account_email")
def _by_account_email(order: str, search: str):
    return _by_email(search)


@bare_query("support_email_domain")
def _by_domain(order: str, search: str):
    return _bare_accounts().filter(contact_domain=search).order_by("number")


@bare_query("support_tenant_number")
def _by_tenant(order: str, search: str):
    from tenants.models import Tenant

    return Tenant.objects.filter(number=search).values_list("number", "account__number", "account__name")


@bare_query("support_licence_key")
def _by_key(order: str, search: str):
    from licenses.models import License

    return License.objects.filter(key=search).values_list("key", "holder__number", "tenant__number")


def _second_factor(client, user) -> None:
    """Vendor staff log in with a second factor (issue 10): the session counts as verified, as after a code."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import twofactor

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="bench", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(twofactor.PENDING_SESSION_KEY, None)
    session.save()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


@job(
    *(
        f"support lookup: {kind}"
        for kind in (
            "customer number",
            "user e-mail",
            "account e-mail",
            "e-mail domain",
            "tenant number",
            "licence key",
        )
    )
)
def support_lookup(world: dict, args) -> list[dict]:
    import time

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User

    client = Client()
    staff = User.objects.get(email=SUPPORT_EMAIL)
    client.force_login(staff)
    _second_factor(client, staff)
    rows = []
    requests = max(args.requests, 20)
    for kind, (typed, value) in _values(world).items():
        name = "support_" + kind.replace(" ", "_").replace("-", "")
        measured_url = "/api/v1/support/entitlement/?" + urlencode({"q": typed, "card": "false"})
        first = client.get(measured_url)
        if first.status_code != 200:
            raise SystemExit(f"{kind}: {measured_url} answered {first.status_code}")
        count = len(first.json()["matches"])
        bare_url = Bare(name, search=value).url(rows=count, api=True)
        bare_first = client.get(bare_url)
        if bare_first.status_code != 200 or bare_first.json()["count"] != count:
            raise SystemExit(f"{kind}: the bare view did not return {count} rows ({bare_url})")
        for url, label in (
            (measured_url, "lookup"),
            (measured_url.replace("card=false", "card=true"), "card"),
        ):
            reset_queries()
            with CaptureQueriesContext(connection) as context:
                client.get(url)
            queries = len(context.captured_queries)
            reset_queries()
            with CaptureQueriesContext(connection) as context:
                client.get(bare_url)
            bare_queries = len(context.captured_queries)
            for _ in range(args.warmup):
                client.get(url)
                client.get(bare_url)
            timings, base = [], []
            for _ in range(requests):
                started = time.perf_counter()
                client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                client.get(bare_url)
                base.append((time.perf_counter() - started) * 1000)
            ratio = _median(timings) / _median(base)
            if label == "lookup":
                target, ok = "p50 ≤ 1.5× bare", ratio <= 1.5 and queries <= LOOKUP_QUERY_BUDGET
            else:
                target, ok = f"≤ {CARD_QUERY_BUDGET} queries", queries <= CARD_QUERY_BUDGET
            rows.append(
                job_result(
                    f"support {label}: {kind}",
                    rows=count,
                    timings=timings,
                    queries=queries,
                    baseline="bare indexed query",
                    base_timings=base,
                    base_queries=bare_queries,
                    target=target,
                    ok=ok,
                )
            )
    return rows
