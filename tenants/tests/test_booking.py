"""Booked services: booking with dependencies, the state machine, deploy and the billing-start rule, ending
(dates in Europe/Berlin, month ends, DST), cancelling, discounts, the end-of-service job. Tests TEN-5
(dependency graph), TEN-6, TEN-7, TEN-8 and DEL-3 (caretakers: free services only)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from portal.errors import InvalidTransition, NotFound, NotPermitted, RuleViolation
from portal.models import AuditEvent
from tenants import selectors, services
from tenants.dates import berlin_today, default_end_date, earliest_end_date
from tenants.models import BookedService, Domain, ServiceStatus
from tenants.services.booking import TRANSITIONS, ConfirmationRequired, MissingDependencies, transition

pytestmark = pytest.mark.django_db

D = datetime.date.fromisoformat


def _domain(world, name="shop.example", services_=(), **kwargs) -> Domain:
    return services.add_domain(
        actor=world.sales, tenant=world.tenant, name=name, service_types=list(services_), **kwargs
    )


def _booking(domain: Domain, code: str) -> BookedService:
    return domain.services.get(service_type__code=code, status__in=["ordered", "deployed", "ending"])


# --- Booking and dependencies ---------------------------------------------------------------------------


def test_ten7_add_services_refuses_missing_dependencies_naming_them(world):
    domain = _domain(world)
    with pytest.raises(MissingDependencies) as caught:
        services.book_services(actor=world.sales, domain=domain, service_types=["signature", "large-files"])
    assert [t.code for t in caught.value.missing] == ["encryption"]
    assert caught.value.code == "missing_dependencies"
    assert domain.services.count() == 1
    assert selectors.missing_dependencies(domain, ["signature"])[0].code == "encryption"


def test_ten7_add_services_with_dependencies_on_confirmation(world):
    domain = _domain(world)
    booked = services.book_services(
        actor=world.sales, domain=domain, service_types=["signature"], add_dependencies=True
    )
    assert [b.service_type.code for b in booked] == ["encryption", "signature"]
    # What is already booked satisfies later bookings.
    more = services.book_services(actor=world.sales, domain=domain, service_types=["large-files"])
    assert [b.service_type.code for b in more] == ["large-files"]


def test_ten7_booking_twice_is_refused(world):
    domain = _domain(world, services_=["archive"])
    with pytest.raises(RuleViolation) as caught:
        services.book_services(actor=world.sales, domain=domain, service_types=["archive"])
    assert caught.value.code == "already_booked"
    with pytest.raises(IntegrityError), transaction.atomic():  # the partial unique constraint backs it
        BookedService.objects.create(
            number="S-9999999", domain=domain, service_type=world.types["archive"], status="ordered"
        )


def test_ten7_unknown_and_retired_services_are_refused(world):
    domain = _domain(world)
    with pytest.raises(RuleViolation) as caught:
        services.book_services(actor=world.sales, domain=domain, service_types=["nope", "archive"])
    assert caught.value.code == "unknown_service_type" and "nope" in caught.value.detail
    world.types["archive"].active = False
    world.types["archive"].save()
    with pytest.raises(RuleViolation) as caught:
        services.book_services(actor=world.sales, domain=domain, service_types=["archive"])
    assert caught.value.code == "service_type_inactive"


@pytest.mark.parametrize("role", ["support", "tech", "customer_admin", "owner"])
def test_ten7_only_sales_books_services(world, role):
    domain = _domain(world)
    with pytest.raises(NotPermitted):
        services.book_services(actor=getattr(world, role), domain=domain, service_types=["archive"])


def test_ten7_other_partner_does_not_see_the_domain(world):
    domain = _domain(world)
    with pytest.raises(NotFound):
        services.book_services(actor=world.other_sales, domain=domain, service_types=["archive"])


def test_del3_caretaker_adds_only_services_that_are_not_billable(world):
    from accounts.tests.factories import UserFactory
    from delegations.tests.factories import grant_row

    caretaker = UserFactory()
    grant_row(tenant=world.tenant, caretaker=caretaker, scope="full_technical")
    domain = _domain(world, services_=["spam-filter"])
    with pytest.raises(NotPermitted) as caught:
        services.book_services(actor=caretaker, domain=domain, service_types=["archive"])
    assert caught.value.code == "billable_needs_sales"
    booked = services.book_services(actor=caretaker, domain=domain, service_types=["dmarc-report"])
    assert booked[0].service_type.monthly_price == 0
    # Billable dependencies count too: dmarc-report on a domain without spam-filter would book a paid one.
    other = _domain(world, name="other.example")
    with pytest.raises(NotPermitted):
        services.book_services(
            actor=caretaker, domain=other, service_types=["dmarc-report"], add_dependencies=True
        )
    # … and ending is limited the same way.
    with pytest.raises(NotPermitted):
        services.cancel_service(actor=caretaker, service=_booking(domain, "spam-filter"), confirm=True)
    services.cancel_service(actor=caretaker, service=_booking(domain, "dmarc-report"))


def test_ten7_nothing_can_be_added_while_the_base_service_ends(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world)
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.end_service(actor=world.sales, service=_booking(domain, "base"))
    with pytest.raises(InvalidTransition) as caught:
        services.book_services(actor=world.sales, domain=domain, service_types=["archive"])
    assert caught.value.code == "domain_ending"


# --- State machine ----------------------------------------------------------------------------------------


LEGAL = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize("current", list(ServiceStatus.values))
@pytest.mark.parametrize("target", list(ServiceStatus.values))
def test_ten6_state_machine_allows_exactly_the_documented_transitions(current, target):
    service = BookedService(status=current)
    if (current, target) in LEGAL:
        transition(service, target)
        assert service.status == target
    else:
        with pytest.raises(InvalidTransition):
            transition(service, target)
        assert service.status == current


def test_ten6_documented_transitions():
    assert {
        ("ordered", "deployed"),
        ("ordered", "cancelled"),
        ("deployed", "ending"),
        ("ending", "ended"),
    } == LEGAL


def test_ten6_illegal_transitions_through_the_services(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["archive"])
    archive = _booking(domain, "archive")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    with pytest.raises(InvalidTransition) as caught:
        services.cancel_service(actor=world.sales, service=archive)  # deployed: end it instead
    assert caught.value.code == "already_deployed"
    with pytest.raises(InvalidTransition) as caught:
        services.deploy_tenant(actor=world.tech, tenant=world.tenant)  # nothing ordered any more
    assert caught.value.code == "nothing_to_deploy"
    services.end_service(actor=world.sales, service=archive)
    with pytest.raises(InvalidTransition) as caught:
        services.end_service(actor=world.sales, service=archive)
    assert caught.value.code == "already_ending"
    services.complete_ended_services(today=D("2025-07-01"))
    with pytest.raises(InvalidTransition) as caught:
        services.end_service(actor=world.sales, service=archive)
    assert caught.value.code == "service_not_live"
    with pytest.raises(InvalidTransition):
        services.set_discount(actor=world.sales, service=archive, percent=10, reason="test")


# --- Deploy and billing start -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "support", "customer_admin", "owner"])
def test_ten7_only_tech_deploys(world, role):
    _domain(world)
    with pytest.raises(NotPermitted):
        services.deploy_tenant(actor=getattr(world, role), tenant=world.tenant)
    assert not BookedService.objects.filter(status="deployed").exists()


def test_ten6_deploy_sets_status_date_and_domain(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["archive"])
    result = services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    assert {s.status for s in domain.services.all()} == {"deployed"}
    assert {s.deployed_on for s in domain.services.all()} == {D("2025-06-10")}
    assert result.domains == [domain]
    domain.refresh_from_db()
    assert domain.deployed_at is not None
    event = AuditEvent.objects.get(action="tenant.deployed")
    assert event.actor == world.tech and len(event.changes["services"]) == 2


def test_ten6_billing_starts_at_deploy_when_users_came_first(world, clock):
    clock.today("2025-06-03")
    domain = _domain(world)
    services.add_registered_user(actor=world.sales, domain=domain, email="a@shop.example")
    base = _booking(domain, "base")
    assert base.billing_start is None  # ordered: not billable although there is a user
    assert not selectors.is_billable(base)
    clock.today("2025-06-20")
    result = services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    base.refresh_from_db()
    assert base.billing_start == D("2025-06-20")
    assert result.billing_started == [base]
    assert selectors.is_billable(selectors.service_for(world.sales, base.pk))


def test_ten6_billing_starts_with_the_first_user_when_deploy_came_first(world, clock):
    clock.today("2025-06-03")
    domain = _domain(world, services_=["archive"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    base = _booking(domain, "base")
    assert base.billing_start is None  # deployed but no user: not billable
    assert not selectors.is_billable(selectors.service_for(world.sales, base.pk))
    clock.today("2025-07-14")
    services.add_registered_user(actor=world.customer_admin, domain=domain, email="a@shop.example")
    assert set(domain.services.values_list("billing_start", flat=True)) == {D("2025-07-14")}
    clock.today("2025-08-01")
    services.add_registered_user(actor=world.customer_admin, domain=domain, email="b@shop.example")
    assert set(domain.services.values_list("billing_start", flat=True)) == {
        D("2025-07-14")
    }  # first time only
    event = AuditEvent.objects.filter(action="tenant.domain.user_added").order_by("pk").first()
    assert sorted(event.changes["billing_started"]) == sorted(
        domain.services.values_list("number", flat=True)
    )


def test_ten6_billing_start_is_kept_when_users_leave_and_return(world, clock):
    clock.today("2025-06-03")
    domain = _domain(world)
    user = services.add_registered_user(actor=world.sales, domain=domain, email="a@shop.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.remove_registered_user(actor=world.sales, registered_user=user)
    base = selectors.service_for(world.sales, _booking(domain, "base").pk)
    assert base.billing_start == D("2025-06-03")
    assert not selectors.is_billable(base)  # no users: not billable now
    clock.today("2025-09-01")
    services.add_registered_user(actor=world.sales, domain=domain, email="b@shop.example")
    base = selectors.service_for(world.sales, base.pk)
    assert base.billing_start == D("2025-06-03") and selectors.is_billable(base)


def test_ten6_services_added_after_deploy_start_billing_on_their_own_deploy(world, clock):
    clock.today("2025-06-03")
    domain = _domain(world)
    services.add_registered_user(actor=world.sales, domain=domain, email="a@shop.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    clock.today("2025-06-25")
    services.book_services(actor=world.sales, domain=domain, service_types=["archive"])
    assert selectors.has_undeployed(world.tenant)
    services.deploy_tenant(actor=world.tech, tenant=world.tenant, domains=[domain])
    assert _booking(domain, "archive").billing_start == D("2025-06-25")
    assert _booking(domain, "base").billing_start == D("2025-06-03")
    assert not selectors.has_undeployed(world.tenant)


def test_ten7_deploy_selected_domains_only(world, clock):
    first = _domain(world, name="a.example")
    second = _domain(world, name="b.example")
    services.deploy_tenant(actor=world.tech, tenant=world.tenant, domains=[first])
    assert _booking(first, "base").status == "deployed"
    assert _booking(second, "base").status == "ordered"


# --- End dates: Europe/Berlin, month ends, DST ------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "default", "earliest"),
    [
        ("2025-06-10", "2025-06-30", "2025-06-11"),
        ("2025-06-29", "2025-06-30", "2025-06-30"),
        ("2025-06-30", "2025-07-31", "2025-07-01"),  # last day: the month end is today, too early
        ("2025-01-31", "2025-02-28", "2025-02-01"),
        ("2024-01-31", "2024-02-29", "2024-02-01"),  # leap year
        ("2024-02-28", "2024-02-29", "2024-02-29"),
        ("2025-12-31", "2026-01-31", "2026-01-01"),  # across the year
        ("2025-02-01", "2025-02-28", "2025-02-02"),
    ],
)
def test_ten7_default_end_date_is_the_month_end_and_never_before_tomorrow(today, default, earliest):
    assert default_end_date(D(today)) == D(default)
    assert earliest_end_date(D(today)) == D(earliest)
    assert default_end_date(D(today)) >= earliest_end_date(D(today))


@pytest.mark.parametrize(
    ("utc_moment", "berlin_day"),
    [
        # 00:30 CEST on 31 March 2025 (DST began on the 30th): UTC still says the 30th.
        ("2025-03-30T22:30:00+00:00", "2025-03-31"),
        # 00:30 CET on 27 October 2025 (DST ended on the 26th).
        ("2025-10-26T23:30:00+00:00", "2025-10-27"),
        # 01:30 CET on 1 January: a new month and year in Berlin, not yet in UTC.
        ("2025-12-31T23:30:00+00:00", "2026-01-01"),
        # 23:30 CEST on 31 August is still August in Berlin.
        ("2025-08-31T21:30:00+00:00", "2025-08-31"),
    ],
)
def test_ten7_today_is_the_berlin_date(clock, utc_moment, berlin_day):
    moment = clock.set(datetime.datetime.fromisoformat(utc_moment))
    assert berlin_today() == D(berlin_day)
    assert berlin_today(moment) == D(berlin_day)


def test_ten7_default_end_date_across_dst_uses_berlin_month(world, clock):
    clock.set(datetime.datetime.fromisoformat("2025-03-20T10:00:00+00:00"))
    domain = _domain(world, services_=["archive"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    # 00:30 on 31 March in Berlin (CEST) — still 30 March in UTC. The last day of March is today in
    # Berlin, so the default moves to 30 April (a UTC computation would wrongly answer 31 March).
    clock.set(datetime.datetime.fromisoformat("2025-03-30T22:30:00+00:00"))
    result = services.end_service(actor=world.sales, service=_booking(domain, "archive"))
    assert result.end_date == D("2025-04-30")
    with pytest.raises(RuleViolation) as caught:
        services.end_service(
            actor=world.sales, service=_booking(domain, "base"), end_date=D("2025-03-31"), confirm=True
        )
    assert caught.value.code == "end_date_too_early"


def test_ten7_end_date_earliest_tomorrow(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["archive"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    archive = _booking(domain, "archive")
    for too_early in (D("2025-06-10"), D("2025-06-01")):
        with pytest.raises(RuleViolation) as caught:
            services.end_service(actor=world.sales, service=archive, end_date=too_early)
        assert caught.value.code == "end_date_too_early"
        assert "end_date" in caught.value.fields
    archive.refresh_from_db()
    assert archive.status == "deployed" and archive.end_date is None
    result = services.end_service(actor=world.sales, service=archive, end_date=D("2025-06-11"))
    assert result.end_date == D("2025-06-11")
    archive.refresh_from_db()
    assert (archive.status, archive.end_date) == ("ending", D("2025-06-11"))


# --- Ending with dependants, the base service, cancelling -------------------------------------------------


def test_ten7_ending_a_service_others_need_lists_them_and_needs_confirmation(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["encryption", "signature", "large-files", "archive"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    encryption = _booking(domain, "encryption")
    with pytest.raises(ConfirmationRequired) as caught:
        services.end_service(actor=world.sales, service=encryption)
    assert sorted(s.service_type.code for s in caught.value.affected) == ["large-files", "signature"]
    assert "Digital signature" in caught.value.detail and "Large file transfer" in caught.value.detail
    assert domain.services.filter(status="ending").count() == 0  # nothing changed
    result = services.end_service(actor=world.sales, service=encryption, confirm=True)
    assert sorted(s.service_type.code for s in result.ending) == ["encryption", "large-files", "signature"]
    assert set(domain.services.filter(status="ending").values_list("end_date", flat=True)) == {
        D("2025-06-30")
    }
    assert _booking(domain, "archive").status == "deployed"
    assert _booking(domain, "base").status == "deployed"


def test_ten7_ending_the_base_service_ends_every_service_of_the_domain(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["archive", "spam-filter"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.book_services(actor=world.sales, domain=domain, service_types=["encryption"])  # still ordered
    base = _booking(domain, "base")
    with pytest.raises(ConfirmationRequired) as caught:
        services.end_service(actor=world.sales, service=base, end_date=D("2025-07-15"))
    assert len(caught.value.affected) == 3
    result = services.end_service(actor=world.sales, service=base, end_date=D("2025-07-15"), confirm=True)
    assert sorted(s.service_type.code for s in result.ending) == ["archive", "base", "spam-filter"]
    assert [s.service_type.code for s in result.cancelled] == ["encryption"]  # never deployed
    assert not result.domain_released  # until the end date has passed
    # The scheduled job ends them after the end date and releases the domain.
    assert services.complete_ended_services(today=D("2025-07-15")) == 0  # the end date itself still runs
    assert services.complete_ended_services(today=D("2025-07-16")) == 3
    assert services.complete_ended_services(today=D("2025-07-16")) == 0  # idempotent
    domain.refresh_from_db()
    assert domain.released_at is not None
    assert set(domain.services.values_list("status", flat=True)) == {"ended", "cancelled"}
    assert selectors.tenants_visible_to(world.sales).get(pk=world.tenant.pk).domains_count == 0


def test_ten7_ending_pulls_a_later_ending_dependant_forward(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["encryption", "signature"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.end_service(actor=world.sales, service=_booking(domain, "signature"), end_date=D("2025-09-30"))
    result = services.end_service(
        actor=world.sales, service=_booking(domain, "encryption"), end_date=D("2025-07-31"), confirm=True
    )
    assert [s.service_type.code for s in result.rescheduled] == ["signature"]
    assert _booking(domain, "signature").end_date == D("2025-07-31")
    # A dependant ending earlier than the new date is left alone (no confirmation needed).
    other = _domain(world, name="b.example", services_=["encryption", "signature"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.end_service(actor=world.sales, service=_booking(other, "signature"), end_date=D("2025-06-15"))
    result = services.end_service(
        actor=world.sales, service=_booking(other, "encryption"), end_date=D("2025-08-31")
    )
    assert result.affected == []
    assert _booking(other, "signature").end_date == D("2025-06-15")


def test_ten6_cancel_before_deployment(world):
    domain = _domain(world, services_=["encryption", "signature"])
    with pytest.raises(ConfirmationRequired):
        services.cancel_service(actor=world.sales, service=_booking(domain, "encryption"))
    result = services.cancel_service(actor=world.sales, service=_booking(domain, "encryption"), confirm=True)
    assert sorted(s.service_type.code for s in result.cancelled) == ["encryption", "signature"]
    assert result.end_date is None
    assert AuditEvent.objects.filter(action="tenant.service.cancelled").count() == 1


@pytest.mark.parametrize("role", ["support", "tech", "customer_admin", "owner"])
def test_ten7_only_sales_ends_services(world, clock, role):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["archive"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    with pytest.raises(NotPermitted):
        services.end_service(actor=getattr(world, role), service=_booking(domain, "archive"))


def test_ten7_job_releases_nothing_live(world, clock):
    clock.today("2025-06-10")
    domain = _domain(world, services_=["archive"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    services.end_service(actor=world.sales, service=_booking(domain, "archive"))
    assert services.complete_ended_services(today=D("2025-07-01")) == 1
    domain.refresh_from_db()
    assert domain.released_at is None  # the base service still runs
    event = AuditEvent.objects.get(action="tenant.services.ended")
    assert event.tenant_id == world.tenant.pk and event.actor is None


def test_ten7_job_is_set_based(world, clock, django_assert_max_num_queries):
    clock.today("2025-06-10")
    for index in range(30):
        _domain(world, name=f"d{index}.example", services_=["archive"])
    services.deploy_tenant(actor=world.tech, tenant=world.tenant)
    for service in BookedService.objects.filter(service_type__code="archive"):
        services.end_service(actor=world.sales, service=service)
    with django_assert_max_num_queries(12):  # not one query per service
        assert services.complete_ended_services(today=D("2025-07-01")) == 30


# --- Discounts (TEN-6, TEN-8) -----------------------------------------------------------------------------


def test_ten8_discount_needs_a_reason_and_stays_within_0_and_100(world):
    domain = _domain(world, services_=["archive"])
    archive = _booking(domain, "archive")
    with pytest.raises(RuleViolation) as caught:
        services.set_discount(actor=world.sales, service=archive, percent=20, reason="  ")
    assert caught.value.code == "discount_reason_required"
    for bad in (-1, "100.01", "abc", "12.345"):
        with pytest.raises(RuleViolation):
            services.set_discount(actor=world.sales, service=archive, percent=bad, reason="nfr")
    service = services.set_discount(actor=world.sales, service=archive, percent="100", reason="nfr")
    assert (service.discount_percent, service.discount_reason) == (Decimal("100.00"), "nfr")
    assert services.discount_reason_label("nfr") == "nfr"
    service = services.set_discount(
        actor=world.sales, service=archive, percent="12.5", reason="Bestandskunde"
    )
    assert services.discount_reason_label(service.discount_reason) == "Bestandskunde"
    service = services.set_discount(actor=world.sales, service=archive, percent=0, reason="ignored")
    assert service.discount_reason == ""
    with pytest.raises(IntegrityError), transaction.atomic():
        BookedService.objects.filter(pk=archive.pk).update(discount_percent=Decimal("101"))


@pytest.mark.parametrize("role", ["support", "tech", "customer_admin"])
def test_ten8_only_sales_sets_discounts(world, role):
    domain = _domain(world, services_=["archive"])
    with pytest.raises(NotPermitted):
        services.set_discount(
            actor=getattr(world, role), service=_booking(domain, "archive"), percent=5, reason="test"
        )


# --- Dependency graph (TEN-5) -----------------------------------------------------------------------------


def test_ten5_dependency_helpers(types):
    from tenants import catalogue

    graph = catalogue.requirement_graph()
    ids = {code: t.pk for code, t in types.items()}
    assert catalogue.required_closure(graph, [ids["signature"]]) == {ids["encryption"]}
    assert catalogue.required_closure(graph, [ids["signature"]], ids["base"]) == {
        ids["encryption"],
        ids["base"],
    }
    assert catalogue.dependants(graph, ids["encryption"], ids.values()) == {
        ids["signature"],
        ids["large-files"],
    }
    assert catalogue.dependants(graph, ids["archive"], ids.values()) == set()
    ordered = catalogue.dependency_order([types["signature"], types["encryption"], types["base"]], graph)
    assert [t.code for t in ordered] == ["base", "encryption", "signature"]
