"""The Django admin cannot go around the services (issue 8 §5, UI-2): no role groups, no superuser or staff
flags edited by hand, no user deleted or added past the services, every user change audited; and a
non-superuser staff member — even one holding every model permission — sees only what the authority shows
them, in every change list."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from accounts.tests.factories import AccountFactory, PartnerAccountFactory, UserFactory, member
from delegations.models import Notification
from portal.models import AuditEvent
from tenants.models import Tenant
from tenants.tests.factories import TenantFactory, resold_tenant

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def scoped(db):
    """A partner admin who is staff and holds every model permission Django knows (the worst case)."""
    partner = PartnerAccountFactory(name="Agentur Admin")
    customer = AccountFactory(name="Eigener Kunde")
    staff = member(partner, "admin", "sales", email="staff@agentur.example")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.set(Permission.objects.all())
    mine = resold_tenant(customer, partner, name="Eigener Mandant")
    foreign_account = AccountFactory(name="Fremd AG")
    foreign_owner = member(foreign_account, "owner", email="owner@fremd.example")
    foreign = TenantFactory(account=foreign_account, name="Fremder Mandant")
    Notification.objects.create(user=foreign_owner, kind="grant_revoked", data={"tenant": "T-1"})
    return {"staff": User.objects.get(pk=staff.pk), "mine": mine, "foreign": foreign, "other": foreign_owner}


def test_group_admin_is_not_offered(client, superuser):
    assert not admin.site.is_registered(Group)
    client.force_login(superuser)
    assert client.get("/admin/auth/group/").status_code == 404


def test_superuser_cannot_edit_flags_add_or_delete_users(client, superuser):
    target = UserFactory(email="someone@example.org", name="Some One")
    client.force_login(superuser)
    url = f"/admin/accounts/user/{target.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="is_superuser"' not in html and 'name="is_staff"' not in html and 'name="groups"' not in html
    response = client.post(
        url,
        {"name": "Neu Name", "language": "de", "is_active": "on", "is_superuser": "on", "is_staff": "on"},
    )
    assert response.status_code == 302, response.content
    target.refresh_from_db()
    assert target.name == "Neu Name" and not target.is_superuser and not target.is_staff
    event = AuditEvent.objects.get(action="user.changed")
    assert event.actor == superuser and event.changes["name"]["to"] == "Neu Name"
    assert client.get(f"/admin/accounts/user/{target.pk}/delete/").status_code == 403
    assert client.post(f"/admin/accounts/user/{target.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=target.pk).exists()
    assert client.get("/admin/accounts/user/add/").status_code == 403
    # the password form stays (superusers), audited; its signal ends the user's sessions and tokens
    response = client.post(
        f"/admin/accounts/user/{target.pk}/password/",
        {"password1": "An0ther-pass!", "password2": "An0ther-pass!", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="user.password_set", actor=superuser).exists()
    # deactivating goes through the service and ends the sessions
    response = client.post(url, {"name": "Neu Name", "language": "de"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert AuditEvent.objects.filter(action="user.changed", changes__is_active__to=False).exists()


def test_scoped_staff_sees_only_what_the_authority_shows(client, scoped):
    staff = scoped["staff"]
    client.force_login(staff)
    tenants = client.get("/admin/tenants/tenant/").content.decode()
    assert "Eigener Mandant" in tenants and "Fremder Mandant" not in tenants
    accounts = client.get("/admin/accounts/account/").content.decode()
    assert "Fremd AG" not in accounts
    users = client.get("/admin/accounts/user/").content.decode()
    assert "owner@fremd.example" not in users and "staff@agentur.example" in users
    notices = client.get("/admin/delegations/notification/").content.decode()
    assert "owner@fremd.example" not in notices
    assert client.get(f"/admin/tenants/tenant/{scoped['foreign'].pk}/change/").status_code in (302, 404)
    # every change list loads and lists no row of the foreign account
    for model, _model_admin in REGISTERED:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url)
        assert response.status_code in (200, 403), url
        if response.status_code == 200:
            body = response.content.decode()
            assert "Fremder Mandant" not in body and "owner@fremd.example" not in body, url
    # and cannot change users (flags, names) at all
    other = scoped["other"]
    response = client.post(f"/admin/accounts/user/{staff.pk}/change/", {"name": "x", "is_superuser": "on"})
    assert response.status_code in (302, 403, 404)
    staff.refresh_from_db()
    assert not staff.is_superuser and staff.name != "x"
    assert not User.objects.get(pk=other.pk).is_superuser
    assert client.get(f"/admin/accounts/user/{other.pk}/password/").status_code in (403, 404)
    assert Tenant.objects.filter(pk=scoped["foreign"].pk).exists()


def test_scoped_staff_reads_confidential_names_masked_in_the_admin(client, scoped, superuser):
    from tenants import services
    from tenants.tests.factories import demo_catalogue

    demo_catalogue()
    staff = scoped["staff"]
    # a partner admin may see its tenant's names: give the foreign-free world a tenant where the staff user
    # holds no manage_confidential — the customer's own tenant, seen by its owner who is made staff
    owner = member(scoped["mine"].account, "owner", email="owner@eigen.example")
    owner.is_staff = True
    owner.save()
    owner.user_permissions.set(Permission.objects.all())
    domain = services.add_domain(actor=staff, tenant=scoped["mine"], name="geheim-name.example", expert=True)
    services.add_registered_user(actor=staff, domain=domain, email="chef@geheim-name.example")
    services.set_domain_confidential(actor=staff, domain=domain, confidential=True)
    client.force_login(User.objects.get(pk=owner.pk))
    for url in (
        "/admin/tenants/domain/",
        "/admin/tenants/domain/?q=geheim",
        f"/admin/tenants/domain/{domain.pk}/change/",
        "/admin/tenants/bookedservice/?q=geheim",
        "/admin/tenants/registereduser/",
        "/admin/portal/auditevent/",
        "/admin/portal/auditevent/?q=geheim",
    ):
        response = client.get(url)
        if response.status_code == 200:
            assert "geheim-name" not in response.content.decode(), url
    listing = client.get("/admin/tenants/domain/?q=geheim").content.decode()
    assert "0 domains" in listing or "0 Domains" in listing or "••••.example" not in listing
    assert "••••.example" in client.get("/admin/tenants/domain/").content.decode()
    # the partner admin (manage_confidential) and superusers read the name
    client.force_login(staff)
    assert "geheim-name.example" in client.get("/admin/tenants/domain/").content.decode()
    client.force_login(superuser)
    assert "geheim-name.example" in client.get("/admin/tenants/domain/").content.decode()
