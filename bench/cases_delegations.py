"""Benchmark data, cases and jobs of the delegations app (DEL-4, DEL-6, issue 5).

World: a caretaker — a ``tech`` member of its own partner account, which resells nothing — holds ``--grants``
active ``technical`` grants (default 5,000) on tenants of the 10,000, half of them with an expiry a year
ahead, as the grant services leave them (the authority reads rights from the grant rows).

Cases: the caretaker's tenant list (HTML and API, by name, by services count, searched) against a bare query
over the same rows (the tenants of its active grants, by the plain foreign key).

Job "expiry sweep": ``--due-grants`` active grants (default 100,000: ten caretakers × 10,000 tenants, scopes
mixed) whose expiry has passed; first one plain ``UPDATE`` of exactly those rows (the baseline), then — the rows
reset to active — ``expire_due_grants()``: batches of row locks, state change, audit events, notices
enqueued. Target: at most ten times the plain UPDATE.
Afterwards the job removes its grants and their audit events again.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q

from .cases import Case, bare_query, bare_tenants, case, job, job_result, measure, tenant_cases
from .world import vacuum_analyze, world_builder

CARETAKER_EMAIL = "bench-caretaker@bench.example"
CARETAKER_PARTNER = "K-900001"
SWEEP_EMAIL = "bench-sweep-{}@bench.example"
SWEEP_SCOPES = ("read", "technical", "full_technical")


def _caretaker_built(world: dict) -> bool:
    from delegations.models import CaretakerGrant

    return (
        CaretakerGrant.objects.filter(caretaker__email=CARETAKER_EMAIL, status="active").count()
        == world["options"]["grants"]
    )


@world_builder(built=_caretaker_built)
def add_caretaker(world: dict) -> None:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Account, Membership, User
    from delegations.models import CaretakerGrant
    from tenants.models import Tenant

    count = world["options"]["grants"]
    tenants = list(
        Tenant.objects.filter(reseller=world["partner"])
        .order_by("pk")
        .values_list("pk", "number", "account_id")
    )
    if count > len(tenants):
        raise SystemExit(f"--grants {count} is more than the {len(tenants)} tenants")
    now = timezone.now()
    with transaction.atomic():
        partner = Account.objects.create(
            number=CARETAKER_PARTNER,
            name="Bench Technik-Dienst GmbH",
            kind="partner",
            purpose="production",
            contact_email="kontakt@care.bench.example",
        )
        user = User.objects.create_user(email=CARETAKER_EMAIL, password="bench", name="Bench Caretaker")
        Membership.objects.create(user=user, account=partner, role="tech")
        CaretakerGrant.objects.bulk_create(
            [
                CaretakerGrant(
                    tenant_id=pk,
                    tenant_number=number,
                    customer_account_id=account_id,
                    caretaker=user,
                    caretaker_email=CARETAKER_EMAIL,
                    partner_account=partner,
                    origin="grant",
                    scope="technical",
                    status="active",
                    decided_at=now,
                    expires_at=now + timedelta(days=365) if index % 2 else None,
                )
                for index, (pk, number, account_id) in enumerate(tenants[:count])
            ],
            batch_size=2000,
        )


@bare_query("caretaker_tenants")
def _caretaker_tenants(order: str, search: str):
    """The tenants of the caretaker's active grants, by the plain foreign key (no authority)."""
    from delegations.models import CaretakerGrant
    from tenants.models import Tenant

    granted = CaretakerGrant.objects.filter(caretaker_email=CARETAKER_EMAIL, status="active").values(
        "tenant_id"
    )
    return bare_tenants(Tenant.objects.filter(pk__in=granted), order, search)


@case
def caretaker_list(world: dict) -> list[Case]:
    return tenant_cases("caretaker", CARETAKER_EMAIL, "caretaker_tenants")


# --- The expiry sweep ---------------------------------------------------------------------------------


def _create_due_grants(world: dict, count: int, now) -> list[int]:
    """``count`` active grants past their expiry (ten caretakers over the tenants), as the grant services
    leave active grants."""
    from django.db import transaction

    from accounts.models import User
    from delegations.models import CaretakerGrant
    from tenants.models import Tenant

    tenants = list(
        Tenant.objects.filter(reseller=world["partner"])
        .order_by("pk")
        .values_list("pk", "number", "account_id")
    )
    caretakers_needed = -(-count // len(tenants))
    users = []
    for k in range(caretakers_needed):
        user = User.objects.filter(email=SWEEP_EMAIL.format(k)).first()
        users.append(user or User.objects.create_user(email=SWEEP_EMAIL.format(k), password="bench"))
    grants = []
    for index in range(count):
        user = users[index // len(tenants)]
        pk, number, account_id = tenants[index % len(tenants)]
        grants.append(
            CaretakerGrant(
                tenant_id=pk,
                tenant_number=number,
                customer_account_id=account_id,
                caretaker=user,
                caretaker_email=user.email,
                origin="grant",
                scope=SWEEP_SCOPES[index % len(SWEEP_SCOPES)],
                status="active",
                decided_at=now - timedelta(days=30),
                expires_at=now - timedelta(minutes=1 + index % 1440),
            )
        )
    with transaction.atomic():
        created = CaretakerGrant.objects.bulk_create(grants, batch_size=5000)
        ids = [grant.pk for grant in created]
        if not all(ids):
            ids = list(
                CaretakerGrant.objects.filter(caretaker__in=users, status="active").values_list(
                    "pk", flat=True
                )
            )
    return ids


def _cleanup(ids: list[int]) -> None:
    from delegations.models import CaretakerGrant
    from portal.models import AuditEvent

    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        AuditEvent.objects.filter(grant_id__in=chunk).delete()
        CaretakerGrant.objects.filter(pk__in=chunk).delete()


@job("expiry sweep")
def expiry_sweep(world: dict, args) -> list[dict]:
    from django.db import connection
    from django.utils import timezone

    from delegations.models import CaretakerGrant
    from delegations.services import expire_due_grants

    count = world["options"]["due_grants"]
    now = timezone.now()
    _cleanup(
        list(
            CaretakerGrant.objects.filter(caretaker_email__startswith="bench-sweep-").values_list(
                "pk", flat=True
            )
        )
    )
    ids = _create_due_grants(world, count, now)
    tables = (CaretakerGrant._meta.db_table,)
    due = Q(status="active", expires_at__isnull=False, expires_at__lte=now)
    try:
        if CaretakerGrant.objects.filter(due).count() != count:
            raise SystemExit("expiry sweep: other due grants are in the world")
        vacuum_analyze(*tables)

        def plain_update() -> int:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {tables[0]} SET status = 'expired', ended_at = %s "  # noqa: S608
                    "WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= %s",
                    [now, now],
                )
                return cursor.rowcount

        base_ms, base_queries, updated = measure(plain_update)
        if updated != count:
            raise SystemExit(f"expiry sweep: the plain UPDATE changed {updated} rows, not {count}")
        CaretakerGrant.objects.filter(pk__in=ids).update(status="active", ended_at=None)
        vacuum_analyze(*tables)
        ms, queries, expired = measure(lambda: expire_due_grants(now=now))
        if expired != count:
            raise SystemExit(f"expiry sweep: expire_due_grants() ended {expired} grants, not {count}")
    finally:
        _cleanup(ids)
        vacuum_analyze(*tables)
    return [
        job_result(
            f"expiry sweep, {count} due grants",
            rows=count,
            timings=[ms],
            queries=queries,
            baseline="one plain UPDATE",
            base_timings=[base_ms],
            base_queries=base_queries,
            target="ratio ≤ 10",
            ok=ms <= 10 * base_ms,
            note=f"{ms / count * 1000:.1f} µs per grant, {queries} queries for {-(-count // 1000)} batches",
        )
    ]
