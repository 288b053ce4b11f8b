"""The dependency graph of the service catalogue. Implements TEN-5 (acyclic, checked on change, the cycle
named) and the dependency arithmetic of TEN-7 (missing dependencies, dependants).

The graph is small (a catalogue, not customer data): it is loaded in one query and worked on in memory.
Nodes are ServiceType ids; an edge ``a → b`` means "a requires b". Every non-base service also needs the
domain's base service — that implicit edge is added by ``required_closure(..., base_id=...)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils.translation import gettext as _

from portal.errors import RuleViolation

from .models import ServiceType

Graph = dict[int, set[int]]


def requirement_graph() -> Graph:
    """Every ``requires`` edge of the catalogue, in one query."""
    graph: Graph = {}
    through = ServiceType.requires.through
    for source, target in through.objects.values_list("from_servicetype_id", "to_servicetype_id"):
        graph.setdefault(source, set()).add(target)
    return graph


def find_cycle(graph: Graph, node: int, requires: Iterable[int]) -> list[int] | None:
    """If ``node`` required ``requires`` (replacing its current edges), would a cycle form? Return it as a
    path ``[node, …, node]``, else None."""
    graph = {key: set(value) for key, value in graph.items()}
    graph[node] = set(requires)
    # Depth-first search from node for a path back to node; parents reconstruct the cycle.
    stack: list[tuple[int, list[int]]] = [(node, [node])]
    seen: set[int] = set()
    while stack:
        current, path = stack.pop()
        for target in sorted(graph.get(current, ())):
            if target == node:
                return [*path, node]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def cycle_error(cycle: list[int], names: dict[int, str] | None = None) -> RuleViolation:
    if names is None:
        names = dict(ServiceType.objects.filter(pk__in=set(cycle)).values_list("pk", "code"))
    text = " → ".join(names.get(pk, str(pk)) for pk in cycle)
    return RuleViolation(
        _("Service dependencies must not form a cycle: %(cycle)s.") % {"cycle": text},
        code="dependency_cycle",
        fields={"requires": [_("This would create the cycle %(cycle)s.") % {"cycle": text}]},
    )


def check_acyclic(service_type: ServiceType, requires: Iterable[ServiceType | int]) -> None:
    """Raise RuleViolation(code="dependency_cycle") naming the cycle if ``service_type`` requiring
    ``requires`` would make the graph cyclic (a service requiring itself included)."""
    ids = {item if isinstance(item, int) else item.pk for item in requires}
    if service_type.pk is None:
        return  # a new type has no dependants yet: it cannot close a cycle
    cycle = find_cycle(requirement_graph(), service_type.pk, ids)
    if cycle:
        raise cycle_error(cycle)


@receiver(m2m_changed, sender=ServiceType.requires.through)
def _refuse_cycles(sender, instance, action, reverse, pk_set, **kwargs):
    """Guard for every path that edits ``requires`` (admin, shell, services): a cycle never gets stored."""
    if action != "pre_add" or not pk_set:
        return
    graph = requirement_graph()
    if not reverse:
        cycle = find_cycle(graph, instance.pk, graph.get(instance.pk, set()) | set(pk_set))
        if cycle:
            raise cycle_error(cycle)
        return
    # Reverse side: each of pk_set gains a requirement on instance.
    for source in sorted(pk_set):
        cycle = find_cycle(graph, source, graph.get(source, set()) | {instance.pk})
        if cycle:
            raise cycle_error(cycle)
        graph.setdefault(source, set()).add(instance.pk)


def required_closure(graph: Graph, ids: Iterable[int], base_id: int | None = None) -> set[int]:
    """Everything ``ids`` need, transitively (not including ``ids`` themselves unless required by another);
    with ``base_id``, every non-base service also needs the base service."""
    ids = set(ids)
    result: set[int] = set()
    stack = list(ids)
    while stack:
        current = stack.pop()
        targets = set(graph.get(current, ()))
        if base_id is not None and current != base_id:
            targets.add(base_id)
        for target in targets:
            if target not in result:
                result.add(target)
                stack.append(target)
    return result


def dependants(graph: Graph, node: int, among: Iterable[int]) -> set[int]:
    """Those of ``among`` that need ``node``, directly or through others."""
    return {other for other in set(among) if other != node and node in required_closure(graph, [other])}


def base_service() -> ServiceType | None:
    return ServiceType.objects.filter(is_base=True, active=True).first()


def load_catalogue() -> dict[int, ServiceType]:
    """Every service type by id (active or not: existing bookings may use retired types)."""
    return {service_type.pk: service_type for service_type in ServiceType.objects.all()}


def dependency_order(types: Iterable[ServiceType], graph: Graph) -> list[ServiceType]:
    """Requirements before what needs them; ties by the catalogue's order (base first, position, name)."""
    remaining = {service_type.pk: service_type for service_type in types}
    ordered: list[ServiceType] = []
    while remaining:
        ready = [
            service_type
            for pk, service_type in remaining.items()
            if not (required_closure(graph, [pk]) & (set(remaining) - {pk}))
        ]
        if not ready:  # pragma: no cover - the graph is acyclic by construction
            ready = list(remaining.values())
        ready.sort(key=lambda t: (not t.is_base, t.position, t.name))
        for service_type in ready:
            ordered.append(service_type)
            del remaining[service_type.pk]
    return ordered


@dataclass
class BookingPlan:
    """What booking ``requested`` on a domain means, given what the domain has live (TEN-7)."""

    requested: list[ServiceType]
    missing: list[ServiceType] = field(default_factory=list)  # required, neither booked nor requested
    already_booked: list[ServiceType] = field(default_factory=list)
    unavailable: list[ServiceType] = field(default_factory=list)  # retired from the catalogue
    ending: list = field(default_factory=list)  # required bookings that are ending: cannot be relied on
    to_book: list[ServiceType] = field(default_factory=list)  # with add_dependencies: requested + missing

    @property
    def ok(self) -> bool:
        return not (self.missing or self.already_booked or self.unavailable or self.ending)


def plan_booking(
    requested: Iterable[ServiceType],
    live_services: Iterable,
    *,
    graph: Graph,
    catalogue: dict[int, ServiceType],
    base: ServiceType | None,
) -> BookingPlan:
    """Pure dependency arithmetic: ``live_services`` are the domain's ordered/deployed/ending bookings."""
    requested = list(dict.fromkeys(requested))
    requested_ids = {service_type.pk for service_type in requested}
    live_by_type = {service.service_type_id: service for service in live_services}
    plan = BookingPlan(requested=requested)
    plan.already_booked = [t for t in requested if t.pk in live_by_type]
    plan.unavailable = [t for t in requested if not t.active]
    needed = required_closure(graph, requested_ids, base.pk if base else None)
    for type_id in sorted(needed - requested_ids):
        service = live_by_type.get(type_id)
        if service is None:
            plan.missing.append(catalogue[type_id])
        elif service.status == "ending":
            plan.ending.append(service)
    plan.missing = dependency_order(plan.missing, graph)
    plan.to_book = dependency_order([*requested, *plan.missing], graph)
    return plan
