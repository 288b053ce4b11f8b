"""Who sees and manages report destinations and deliveries, and who reads statements. Implements REP-3,
REP-4 (rights), through the authority (portal.access).

- Destinations and deliveries belong to an account (a reseller partner or the vendor): its admins see and
  manage them; vendor admins manage every account's, vendor support reads them. Sales gets nothing here, so
  the ACC-3 ceiling (admin hands out sales) is unchanged.
- Statements (REP-3) of a reseller: the account action ``view_statements`` (accounts.access: partner admins
  and vendor staff).
- The licence report (REP-1) lists exactly the licences the authority lets the viewer see (licenses.access).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.access import PARTNER, VENDOR, member_source, vendor_staff_source
from portal import access

DESTINATION_ACTIONS = ("view", "change", "resend")

OWN_DESTINATION_RIGHTS = {
    (PARTNER, "admin"): frozenset(DESTINATION_ACTIONS),
    (VENDOR, "admin"): frozenset(DESTINATION_ACTIONS),
}


def register() -> None:
    from .models import Delivery, DeliveryAttempt, Destination

    access.register_model(Destination, DESTINATION_ACTIONS)
    access.register_source(
        member_source(
            Destination, "account_id", OWN_DESTINATION_RIGHTS, label=_("Administrator of the account")
        )
    )
    access.register_source(vendor_staff_source(Destination, {"view"}, name="vendor_staff"))
    access.register_source(
        vendor_staff_source(Destination, set(DESTINATION_ACTIONS), roles=("admin",), name="vendor_admin")
    )
    access.register_child(Delivery, Destination, "destination", actions={"view": "view", "resend": "resend"})
    access.register_child(DeliveryAttempt, Destination, "delivery__destination", actions={"view": "view"})
