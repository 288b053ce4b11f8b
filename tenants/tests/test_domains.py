"""Domains: validation, uniqueness among live domains, guided and expert mode, confidential masking,
registered users. Tests TEN-4, TEN-7 (add domain: sales only), TEN-6 (users drive billing)."""

from __future__ import annotations

import pytest

from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent
from tenants import selectors, services
from tenants.domains import DomainLabeler, domain_label, mask_fqdn, normalize_fqdn
from tenants.models import BookedService, Domain, RegisteredUser
from tenants.services.booking import MissingDependencies

pytestmark = pytest.mark.django_db


# --- FQDN validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "ascii_name", "unicode_name"),
    [
        ("Example.COM", "example.com", "example.com"),
        ("shop.example.", "shop.example", "shop.example"),  # absolute name: the root dot goes
        ("  mail.shop.example ", "mail.shop.example", "mail.shop.example"),
        ("münchen.de", "xn--mnchen-3ya.de", "münchen.de"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de", "münchen.de"),
        ("Straße.de", "xn--strae-oqa.de", "straße.de"),  # IDNA 2008: ß is kept, as DENIC registers it
        ("a-b.c0.example", "a-b.c0.example", "a-b.c0.example"),
        ("a" * 63 + ".de", "a" * 63 + ".de", "a" * 63 + ".de"),
    ],
)
def test_ten4_valid_names_are_normalized(given, ascii_name, unicode_name):
    assert normalize_fqdn(given) == (ascii_name, unicode_name)


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("", "enter a domain name"),
        ("localhost", "at least two labels"),
        ("shop..example", "empty labels"),
        (".shop.example", "empty labels"),
        ("https://shop.example", "only the domain name"),
        ("info@shop.example", "only the domain name"),
        ("*.shop.example", "only the domain name"),
        ("shop example.de", "only the domain name"),
        ("-shop.example", "cannot start or end with a hyphen"),
        ("shop-.example", "cannot start or end with a hyphen"),
        ("sh_op.example", "only letters, digits and hyphens"),
        ("a" * 64 + ".de", "longer than 63"),
        (".".join(["a" * 60] * 5), "at most 253"),
        ("192.168.0.1", "cannot be numeric"),
        ("ab--cd.de", "not allowed"),
        ("xn--zz.de", "not allowed"),
        ("😀.de", "not allowed"),
    ],
)
def test_ten4_invalid_names_are_refused_with_a_reason(given, reason):
    with pytest.raises(RuleViolation) as caught:
        normalize_fqdn(given)
    assert caught.value.code == "invalid_domain"
    assert reason in str(caught.value.fields["name"][0])


def test_ten4_total_length_counts_the_ascii_form():
    # 4 labels of 61 ASCII characters + dots = 247: fine; a Unicode label grows when encoded.
    fine = ".".join(["a" * 61] * 4) + ".de"
    assert len(fine) == 250
    assert normalize_fqdn(fine)[0] == fine
    label = ("äöüßéèêáàâçñ" * 4)[:44]  # 44 characters, 55 as punycode
    too_long = ".".join([label] * 5) + ".de"
    assert len(too_long) == 227  # short enough in Unicode, 282 in ASCII
    with pytest.raises(RuleViolation, match="at most 253"):
        normalize_fqdn(too_long)


def test_ten4_mask_keeps_only_the_parent():
    assert mask_fqdn("secret.shop.example") == "••••.shop.example"
    assert mask_fqdn("secret.de") == "••••.de"


# --- add_domain -----------------------------------------------------------------------------------------


def test_ten7_guided_books_base_and_chosen_services(world):
    domain = services.add_domain(
        actor=world.sales, tenant=world.tenant, name="Shop.Example", service_types=["encryption", "archive"]
    )
    assert domain.name == "shop.example"
    codes = list(domain.services.order_by("number").values_list("service_type__code", flat=True))
    assert codes == ["base", "encryption", "archive"]
    assert set(domain.services.values_list("status", flat=True)) == {"ordered"}
    numbers = list(domain.services.values_list("number", flat=True))
    assert len(set(numbers)) == 3 and all(n.startswith("S-") for n in numbers)
    event = AuditEvent.objects.get(action="tenant.domain.added")
    assert event.tenant_id == world.tenant.pk and event.changes["mode"] == "guided"
    assert AuditEvent.objects.filter(action="tenant.services.booked", tenant=world.tenant).count() == 1


def test_ten7_guided_refuses_missing_dependencies_naming_them(world):
    with pytest.raises(MissingDependencies) as caught:
        services.add_domain(
            actor=world.sales, tenant=world.tenant, name="shop.example", service_types=["signature"]
        )
    assert [t.code for t in caught.value.missing] == ["encryption"]
    assert "E-mail encryption" in str(caught.value.detail)
    assert caught.value.fields["missing"] == ["encryption"]
    assert not Domain.objects.exists()  # nothing changed
    assert not BookedService.objects.exists()


def test_ten7_guided_adds_dependencies_when_asked(world):
    domain = services.add_domain(
        actor=world.sales,
        tenant=world.tenant,
        name="shop.example",
        service_types=["signature"],
        add_dependencies=True,
    )
    codes = list(domain.services.order_by("number").values_list("service_type__code", flat=True))
    assert codes == ["base", "encryption", "signature"]  # requirements first
    event = AuditEvent.objects.get(action="tenant.services.booked")
    assert event.changes["dependencies_added"] == ["encryption"]


def test_ten7_expert_books_only_the_base_service(world):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example", expert=True)
    assert list(domain.services.values_list("service_type__code", flat=True)) == ["base"]
    with pytest.raises(RuleViolation) as caught:
        services.add_domain(
            actor=world.sales,
            tenant=world.tenant,
            name="other.example",
            expert=True,
            service_types=["archive"],
        )
    assert caught.value.code == "expert_mode_services"


def test_ten4_confidential_only_in_expert_mode_and_only_for_partner_admins(world):
    with pytest.raises(RuleViolation) as caught:
        services.add_domain(
            actor=world.partner_admin, tenant=world.tenant, name="a.example", confidential=True
        )
    assert caught.value.code == "confidential_expert_only"
    with pytest.raises(NotPermitted):
        services.add_domain(
            actor=world.sales, tenant=world.tenant, name="a.example", expert=True, confidential=True
        )
    assert not Domain.objects.exists()
    domain = services.add_domain(
        actor=world.partner_admin, tenant=world.tenant, name="a.example", expert=True, confidential=True
    )
    assert domain.confidential


@pytest.mark.parametrize("role", ["support", "tech", "customer_admin", "owner"])
def test_ten7_only_sales_adds_domains(world, role):
    with pytest.raises(NotPermitted):
        services.add_domain(actor=getattr(world, role), tenant=world.tenant, name="shop.example")
    assert not Domain.objects.exists()


def test_ten7_unseen_tenant_is_not_found(world):
    with pytest.raises(NotFound):
        services.add_domain(actor=world.other_sales, tenant=world.tenant, name="shop.example")


def test_ten4_unique_among_live_domains_only(world, clock):
    services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    with pytest.raises(RuleViolation) as caught:
        services.add_domain(actor=world.sales, tenant=world.tenant, name="SHOP.example.")
    assert caught.value.code == "domain_taken"
    assert Domain.objects.count() == 1
    # Cancelling the (undeployed) base service releases the domain: it can be registered again.
    base = BookedService.objects.get(service_type__is_base=True)
    result = services.cancel_service(actor=world.sales, service=base)
    assert result.domain_released
    again = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    assert again.pk != base.domain_id
    assert Domain.objects.filter(name="shop.example").count() == 2


def test_ten4_partial_unique_constraint_backs_the_rule(world):
    from django.db import IntegrityError, transaction

    Domain.objects.create(tenant=world.tenant, name="x.example", unicode_name="x.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        Domain.objects.create(tenant=world.tenant, name="x.example", unicode_name="x.example")


def test_ten7_no_base_service_in_catalogue_is_a_clear_error(world):
    from tenants.models import ServiceType

    ServiceType.objects.filter(is_base=True).update(active=False)
    with pytest.raises(RuleViolation) as caught:
        services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    assert caught.value.code == "no_base_service"


# --- Masking --------------------------------------------------------------------------------------------


def test_ten4_confidential_name_is_masked_for_roles_without_the_right(world):
    domain = services.add_domain(
        actor=world.partner_admin,
        tenant=world.tenant,
        name="geheim.shop.example",
        expert=True,
        confidential=True,
    )
    assert domain_label(domain, world.partner_admin) == "geheim.shop.example"
    for role in ("sales", "support", "tech", "customer_admin"):
        assert domain_label(domain, getattr(world, role)) == "••••.shop.example", role
    assert str(domain) == "••••.shop.example"  # audit and exports use str(): masked by default
    event = AuditEvent.objects.get(action="tenant.domain.added")
    assert "geheim" not in event.target_repr and "geheim" not in str(event.changes)


def test_ten4_labeler_costs_a_constant_number_of_queries_per_tenant(world, django_assert_num_queries):
    for index in range(5):
        services.add_domain(
            actor=world.partner_admin,
            tenant=world.tenant,
            name=f"d{index}.example",
            expert=True,
            confidential=True,
        )
    domains = list(Domain.objects.all())
    from portal import access

    access.subject(world.support)  # the per-request memberships, as after authentication
    labeler = DomainLabeler(world.support)
    # The tenant; then the authority answers without a query: no source gives partner support the right.
    with django_assert_num_queries(1):
        assert {labeler(d) for d in domains} == {"••••.example"}
    primed = DomainLabeler(world.partner_admin)
    with django_assert_num_queries(1):
        primed.prime([world.tenant.pk])
    with django_assert_num_queries(0):
        assert labeler(domains[0]) == "••••.example" and primed(domains[0]) == "d0.example"
    told = DomainLabeler(world.support)
    told.remember(world.tenant.pk, True)  # a view that computed the tenant's permissions already
    with django_assert_num_queries(0):
        assert told(domains[0]) == "d0.example"


def test_ten4_confidential_domain_not_found_by_guessed_name(world):
    domain = services.add_domain(
        actor=world.partner_admin, tenant=world.tenant, name="geheim.example", expert=True, confidential=True
    )
    assert selectors.domain_for(world.partner_admin, world.tenant, "geheim.example").pk == domain.pk
    assert selectors.domain_for(world.support, world.tenant, str(domain.pk)).pk == domain.pk
    with pytest.raises(NotFound):
        selectors.domain_for(world.support, world.tenant, "geheim.example")


def test_ten4_set_confidential_needs_manage_confidential(world):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    with pytest.raises(NotPermitted):
        services.set_domain_confidential(actor=world.sales, domain=domain, confidential=True)
    services.set_domain_confidential(actor=world.partner_admin, domain=domain, confidential=True)
    domain.refresh_from_db()
    assert domain.confidential
    event = AuditEvent.objects.get(action="tenant.domain.confidential_set")
    assert event.target_repr == "••••.example"


# --- Registered users -----------------------------------------------------------------------------------


def test_ten6_registered_users_must_be_mailboxes_of_the_domain(world):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    user = services.add_registered_user(
        actor=world.customer_admin, domain=domain, email=" Anna@Shop.Example "
    )
    assert user.email == "anna@shop.example"
    with pytest.raises(RuleViolation) as caught:
        services.add_registered_user(actor=world.sales, domain=domain, email="anna@other.example")
    assert caught.value.code == "email_not_on_domain"
    with pytest.raises(RuleViolation) as caught:
        services.add_registered_user(actor=world.sales, domain=domain, email="not-an-address")
    assert caught.value.code == "invalid_email"
    with pytest.raises(RuleViolation) as caught:
        services.add_registered_user(actor=world.tech, domain=domain, email="ANNA@shop.example")
    assert caught.value.code == "user_already_registered"
    assert RegisteredUser.objects.count() == 1


def test_ten6_idn_mailboxes_are_stored_in_ascii(world):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="münchen.de")
    user = services.add_registered_user(actor=world.sales, domain=domain, email="info@MÜNCHEN.de")
    assert user.email == "info@xn--mnchen-3ya.de"


@pytest.mark.parametrize(("role", "allowed"), [("support", False), ("other_sales", None), ("tech", True)])
def test_ten6_registered_users_need_change(world, role, allowed):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    actor = getattr(world, role)
    if allowed:
        services.add_registered_user(actor=actor, domain=domain, email="a@shop.example")
        return
    with pytest.raises(NotFound if allowed is None else NotPermitted):
        services.add_registered_user(actor=actor, domain=domain, email="a@shop.example")


def test_ten6_remove_registered_user(world):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    user = services.add_registered_user(actor=world.sales, domain=domain, email="a@shop.example")
    with pytest.raises(NotPermitted):
        services.remove_registered_user(actor=world.support, registered_user=user)
    services.remove_registered_user(actor=world.customer_admin, registered_user=user)
    assert not RegisteredUser.objects.exists()
    assert AuditEvent.objects.filter(action="tenant.domain.user_removed").count() == 1


def test_ten4_users_on_released_domains_are_refused(world):
    domain = services.add_domain(actor=world.sales, tenant=world.tenant, name="shop.example")
    services.cancel_service(actor=world.sales, service=domain.services.get())
    with pytest.raises(InvalidTransition):
        services.add_registered_user(actor=world.sales, domain=domain, email="a@shop.example")
