"""The lifecycle of a tenant transfer (TEN-1), one table (issue 8 §6):

    transfer:  pending ─approve (both sides)→ completed;  pending ─decline→ declined

``approve_transfer`` / ``decline_transfer`` lock the row and ask ``access`` (who: owners of either side) and
``TRANSFER.require`` (when); the page's buttons and the API's ``actions`` come from ``transfer_actions``.
(Booked services have theirs in tenants.services.booking.)
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.transitions import StateMachine, Transition

_NOT_PENDING = _("This transfer is no longer pending.")

TRANSFER = StateMachine(
    Transition("approve", ("pending",), None, "transfer_not_pending", _NOT_PENDING),
    Transition("decline", ("pending",), "declined", "transfer_not_pending", _NOT_PENDING),
)


# --- Booked services (TEN-6): the actions a person takes, and the rights each needs ------------------------
#
#     service:  ordered ─deploy→ deployed ─end→ ending ─(job: complete)→ ended
#               ordered ─cancel (or end)→ cancelled;  ordered/deployed/ending ─discount→ (same state)
#
# ``tenants.services.booking.TRANSITIONS`` is the status graph these actions move along (the test checks that
# every action's edge is in it). The services check the state and the rights; the tenant page's buttons and
# the API's ``actions`` are ``service_actions`` — so nothing is offered that the service would refuse.

_SERVICE_NOT_LIVE = _("This service has ended or was cancelled.")

SERVICE = StateMachine(
    Transition(
        "deploy", ("ordered",), "deployed", "service_not_ordered", _("This service is deployed already.")
    ),
    Transition("cancel", ("ordered",), "cancelled", "already_deployed", _("Only services not deployed yet.")),
    # ``end`` on a service not deployed yet cancels it (tenants.services.end_service): both are offered there.
    Transition("end", ("ordered", "deployed"), "ending", "service_not_live", _SERVICE_NOT_LIVE),
    Transition("complete", ("ending",), "ended", "service_not_ending", _("This service is not ending.")),
    Transition(
        "discount",
        ("ordered", "deployed", "ending"),
        None,
        "service_not_live",
        _("The discount of an ended or cancelled service cannot change."),
    ),
)

# The rights (tenant actions of the authority) each action needs; ``billable`` adds ``book`` (DEL-3: only the
# partner's sales end or cancel what costs money). ``complete`` is the scheduled job's: nobody is offered it.
SERVICE_RIGHTS: dict[str, frozenset[str]] = {
    "deploy": frozenset({"deploy"}),
    "cancel": frozenset({"end_service"}),
    "end": frozenset({"end_service"}),
    "discount": frozenset({"book", "view_billing"}),
}
BILLABLE_NEEDS = {"cancel": frozenset({"book"}), "end": frozenset({"book"})}


def service_actions(service, rights) -> list[str]:
    """What a holder of ``rights`` (on the service's tenant) may do to ``service`` now."""
    rights = set(rights)
    offered = []
    for action in SERVICE.available(service):
        needed = SERVICE_RIGHTS.get(action)
        if needed is None or not needed <= rights:
            continue
        if service.service_type.billable and not BILLABLE_NEEDS.get(action, frozenset()) <= rights:
            continue
        offered.append(action)
    return offered
