"""Tenant pages (UI-1), split by topic. Implements TEN-3..TEN-8.

Which buttons a page offers comes only from ``selectors.tenant_permissions`` (the authority's answer for this
user and tenant). Every write view asks ``access.require`` first — so a refused POST answers 403 before its
input is even read — and then calls one service, which checks again. Reads go through the selectors: an
unseen tenant, domain, service, check or offer is a 404 (NotFound, mapped by portal.middleware).

Overlays: a GET with ``HX-Request`` answers the overlay fragment for ``#overlay``; without htmx the same form
is a page of its own (usable without JavaScript). A successful htmx POST answers ``HX-Redirect`` to the
tenant page (which shows the message); a failed one re-renders the overlay with the errors (200, so htmx
swaps it). Without htmx a failed POST answers the form page with 400 (409 for a state conflict).
"""

from .bookings import service_discount, service_end, services_add
from .domains import domain_add, domain_confidential
from .offers import offer_create, offer_detail, offer_pdf, offer_print
from .operations import check_start, check_status, tenant_deploy
from .registered_users import domain_user_remove, domain_users
from .tenants import tenant_create, tenant_detail, tenant_list
from .transfers import tenant_transfer_answer, tenant_transfer_request, tenant_transfers

__all__ = [
    "tenant_transfer_answer",
    "tenant_transfer_request",
    "tenant_transfers",
    "check_start",
    "check_status",
    "domain_add",
    "domain_confidential",
    "domain_user_remove",
    "domain_users",
    "offer_create",
    "offer_detail",
    "offer_pdf",
    "offer_print",
    "service_discount",
    "service_end",
    "services_add",
    "tenant_create",
    "tenant_deploy",
    "tenant_detail",
    "tenant_list",
]
