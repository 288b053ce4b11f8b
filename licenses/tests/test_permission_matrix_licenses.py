"""Permission matrix for the licence pages and endpoints (API-1, UI-1, LIC-2..LIC-6, SUB-2/SUB-3). Expected
outcomes are written out by hand — a second opinion on licenses.access: unseen answers 404, seen but refused
403, and a refused action changes nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from licenses import services
from licenses.models import Activation, License

ACTORS = [
    "superuser",
    "vendor_support",
    "sales",
    "reseller_admin",
    "reseller_support",
    "owner",
    "cadmin",
    "member",
    "assigned",
    "stranger_owner",
]

# GET a customer's licence (HTML detail and API detail).
VIEW = {
    "superuser": 200,
    "vendor_support": 200,
    "sales": 200,
    "reseller_admin": 200,
    "reseller_support": 200,
    "owner": 200,
    "cadmin": 200,
    "member": 404,
    "assigned": 200,
    "stranger_owner": 404,
}
# POST .../cancel/ on a subscription (the issuer's business).
CANCEL = {
    "superuser": 200,
    "vendor_support": 403,
    "sales": 200,
    "reseller_admin": 200,
    "reseller_support": 403,
    "owner": 403,
    "cadmin": 403,
    "member": 404,
    "assigned": 403,
    "stranger_owner": 404,
}
# POST .../activate/ (the holder's admins and the assigned user).
ACTIVATE = {
    "superuser": 201,
    "vendor_support": 403,
    "sales": 403,
    "reseller_admin": 403,
    "reseller_support": 403,
    "owner": 201,
    "cadmin": 201,
    "member": 404,
    "assigned": 201,
    "stranger_owner": 404,
}
# POST .../assign/ (customer admins only).
ASSIGN = {
    "superuser": 200,
    "vendor_support": 403,
    "sales": 403,
    "reseller_admin": 403,
    "reseller_support": 403,
    "owner": 200,
    "cadmin": 200,
    "member": 404,
    "assigned": 403,
    "stranger_owner": 404,
}
# GET /licenses/issue/ (sales of an authorized reseller).
ISSUE_PAGE = {
    "superuser": 403,  # its active account is the vendor's, which holds no reseller authorization
    "vendor_support": 403,
    "sales": 200,
    "reseller_admin": 403,
    "reseller_support": 403,
    "owner": 403,
    "cadmin": 403,
    "member": 403,
    "assigned": 403,
    "stranger_owner": 403,
}
# GET /licenses/catalogue/
CATALOGUE = {
    "superuser": 200,
    "vendor_support": 200,
    "sales": 200,
    "reseller_admin": 200,
    "reseller_support": 200,
    "owner": 403,
    "cadmin": 403,
    "member": 403,
    "assigned": 403,
    "stranger_owner": 403,
}


@pytest.fixture
def actors(world):
    from accounts.models import Membership, User

    assigned = User.objects.create_user(email="assigned@c.example", password="x")
    Membership.objects.create(user=assigned, account=world.customer, role="member")
    people = {name: getattr(world, name) for name in ACTORS if name != "assigned"}
    people["assigned"] = assigned
    return people


@pytest.fixture
def licence(world, issue, actors):
    license = issue("subscription")
    services.assign_license(actor=world.owner, license=license, user=actors["assigned"])
    return license


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("actor", ACTORS)
def test_view_licence_html_and_api(actor, actors, licence, client):
    client.force_login(actors[actor])
    assert client.get(f"/licenses/{licence.key}/").status_code == VIEW[actor]
    assert _api(actors[actor]).get(f"/api/v1/licenses/{licence.key}/").status_code == VIEW[actor]


@pytest.mark.parametrize("actor", ACTORS)
def test_cancel(actor, actors, licence):
    response = _api(actors[actor]).post(f"/api/v1/licenses/{licence.key}/cancel/")
    assert response.status_code == CANCEL[actor], response.content
    licence.refresh_from_db()
    assert (licence.status == "cancelled") == (CANCEL[actor] == 200)


@pytest.mark.parametrize("actor", ACTORS)
def test_activate(actor, actors, licence):
    response = _api(actors[actor]).post(
        f"/api/v1/licenses/{licence.key}/activate/", {"fingerprint": "pc"}, format="json"
    )
    assert response.status_code == ACTIVATE[actor], response.content
    assert Activation.objects.filter(license=licence).exists() == (ACTIVATE[actor] == 201)


@pytest.mark.parametrize("actor", ACTORS)
def test_assign(actor, actors, licence, world):
    response = _api(actors[actor]).post(
        f"/api/v1/licenses/{licence.key}/assign/", {"user": None}, format="json"
    )
    assert response.status_code == ASSIGN[actor], response.content
    assert (License.objects.get(pk=licence.pk).assigned_user_id is None) == (ASSIGN[actor] == 200)


@pytest.mark.parametrize("actor", ACTORS)
def test_html_action_refused_changes_nothing(actor, actors, licence, client):
    client.force_login(actors[actor])
    response = client.post(f"/licenses/{licence.key}/", {"action": "cancel"})
    expected = CANCEL[actor]
    assert response.status_code == (302 if expected == 200 else expected)
    licence.refresh_from_db()
    assert (licence.status == "cancelled") == (expected == 200)


@pytest.mark.parametrize("actor", ACTORS)
def test_issue_page(actor, actors, client):
    client.force_login(actors[actor])
    assert client.get("/licenses/issue/").status_code == ISSUE_PAGE[actor]


@pytest.mark.parametrize("actor", ACTORS)
def test_catalogue_page(actor, actors, client):
    client.force_login(actors[actor])
    assert client.get("/licenses/catalogue/").status_code == CATALOGUE[actor]


@pytest.mark.parametrize("actor", ACTORS)
def test_lists_load_and_show_only_what_is_seen(actor, actors, licence, client):
    client.force_login(actors[actor])
    response = client.get("/licenses/")
    assert response.status_code == 200
    assert (licence.key in response.content.decode()) == (VIEW[actor] == 200)
    response = _api(actors[actor]).get("/api/v1/licenses/")
    assert response.status_code == 200
    assert (licence.key in [row["key"] for row in response.json()["results"]]) == (VIEW[actor] == 200)


def test_anonymous_is_sent_to_log_in(licence, client):
    assert client.get("/licenses/").status_code == 302
    assert client.get(f"/licenses/{licence.key}/").status_code == 302
    assert APIClient().get(f"/api/v1/licenses/{licence.key}/").status_code in (401, 403)


# GET /licenses/customers/ (sales of a reseller) and /licenses/pools/ (every member, its own account's licences).
CUSTOMERS_PAGE = {
    "superuser": 200,  # superusers hold every action, "resell" on the vendor account included
    "vendor_support": 403,
    "sales": 200,
    "reseller_admin": 403,
    "reseller_support": 403,
    "owner": 403,
    "cadmin": 403,
    "member": 403,
    "assigned": 403,
    "stranger_owner": 403,
}
# Does the pools page of the actor's own account list the customer's licence?
POOL_SHOWS_LICENCE = {"owner", "cadmin", "assigned"}


@pytest.mark.parametrize("actor", ACTORS)
def test_customers_and_pools_pages(actor, actors, licence, client):
    client.force_login(actors[actor])
    assert client.get("/licenses/customers/").status_code == CUSTOMERS_PAGE[actor]
    response = client.get("/licenses/pools/")
    assert response.status_code == 200
    assert (licence.key in response.content.decode()) == (actor in POOL_SHOWS_LICENCE)


@pytest.mark.parametrize("actor", ACTORS)
def test_authorize_in_the_portal_only_for_vendor_admins(actor, actors, world, client):
    from licenses.models import ResellerAuthorization

    client.force_login(actors[actor])
    response = client.post(
        "/licenses/catalogue/",
        {"reseller": world.hoster.pk, "group": world.other_group.pk, "kinds": ["full"], "max_demo_days": 30},
    )
    created = ResellerAuthorization.objects.filter(reseller=world.hoster, group=world.other_group).exists()
    assert created == (actor == "superuser")
    assert response.status_code == (302 if actor == "superuser" else 403)
