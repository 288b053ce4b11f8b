"""``manage.py rebuild_permissions`` (TEN-3, ACC-4, DEL-6): recomputing the django-guardian rows and the partner
role groups from the source relations is a no-op on consistent data and repairs deleted or extra rows."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command

from accounts.models import RoleGroup, User
from delegations.models import CaretakerGrant
from portal import access
from portal.demo import seed_demo
from tenants.models import Tenant, TenantGroupObjectPermission, TenantUserObjectPermission


def snapshot() -> dict:
    return {
        "group_rows": set(
            TenantGroupObjectPermission.objects.values_list(
                "group_id", "permission__codename", "content_object_id"
            )
        ),
        "user_rows": set(
            TenantUserObjectPermission.objects.values_list(
                "user_id", "permission__codename", "content_object_id"
            )
        ),
        "role_group_members": set(
            User.groups.through.objects.filter(group__role_group__isnull=False).values_list(
                "group_id", "user_id"
            )
        ),
    }


def rebuild() -> str:
    out = StringIO()
    call_command("rebuild_permissions", stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def demo_world(db):
    world = seed_demo()
    if not CaretakerGrant.objects.filter(status="active", caretaker__isnull=False).exists():
        # The delegations demo adds an active grant; until it exists, make one so user rows are covered.
        tenant = world["tenants"]["T-000008"]
        caretaker = world["users"]["tech@partner.example"]
        fields = {f.name for f in CaretakerGrant._meta.get_fields()}
        extra = {"tenant_number": tenant.number} if "tenant_number" in fields else {}
        grant = CaretakerGrant.objects.create(
            tenant=tenant,
            customer_account=tenant.account,
            caretaker=caretaker,
            caretaker_email=caretaker.email,
            scope="technical",
            status="active",
            **extra,
        )
        access.apply_grant(grant)
    return world


@pytest.mark.django_db
def test_rebuild_permissions_is_a_noop_on_consistent_data(demo_world):
    before = snapshot()
    assert before["group_rows"] and before["user_rows"] and before["role_group_members"]
    assert rebuild() == "added 0, removed 0"
    assert snapshot() == before


@pytest.mark.django_db
def test_rebuild_permissions_repairs_deleted_and_extra_rows(demo_world):
    before = snapshot()
    users = demo_world["users"]
    partner = demo_world["accounts"]["partner"]
    # Deleted rows: some partner group rows and a caretaker's user row.
    deleted_groups = list(TenantGroupObjectPermission.objects.order_by("pk").values_list("pk", flat=True)[:3])
    TenantGroupObjectPermission.objects.filter(pk__in=deleted_groups).delete()
    TenantUserObjectPermission.objects.filter(pk=TenantUserObjectPermission.objects.first().pk).delete()
    # Extra rows: rights nobody granted.
    stray_tenant = Tenant.objects.get(number="T-000008")  # Fremdfirma: no partner relation
    book = Permission.objects.get(codename="book_service", content_type__app_label="tenants")
    TenantGroupObjectPermission.objects.create(
        group=access.role_group(partner, "sales"), permission=book, content_object=stray_tenant
    )
    TenantUserObjectPermission.objects.create(
        user=users["owner@shop.example"], permission=book, content_object=stray_tenant
    )
    # Role groups out of step with the memberships.
    tech_group = RoleGroup.objects.get(account=partner, role="tech").group
    tech_group.user_set.remove(users["tech@partner.example"])
    RoleGroup.objects.get(account=partner, role="admin").group.user_set.add(users["owner@shop.example"])
    broken = snapshot()
    assert broken != before
    output = rebuild()
    added, removed = (int(part.split()[-1]) for part in output.split(", "))
    assert added >= 4 and removed >= 2, output
    assert snapshot() == before
    assert rebuild() == "added 0, removed 0"


@pytest.mark.django_db
def test_rebuild_permissions_follows_changed_relations(demo_world):
    """A relation changed behind the services' back (e.g. data import) is picked up by the rebuild."""
    tenant = Tenant.objects.get(number="T-000008")
    partner = demo_world["accounts"]["partner"]
    sales = demo_world["users"]["sales@partner.example"]
    Tenant.objects.filter(pk=tenant.pk).update(reseller=partner)
    access.forget(sales)
    assert not access.visible(sales, Tenant).filter(pk=tenant.pk).exists()
    rebuild()
    access.forget(sales)
    assert access.visible(sales, Tenant).filter(pk=tenant.pk).exists()
    assert access.can(sales, "book", tenant)
