"""Tenant writes, split by topic (STYLE: pretix's services/ package). Implements TEN-1..TEN-8.

Other code imports from ``tenants.services``; every public service is re-exported here.

- ``tenants``: create, rename, transfer tenants (TEN-1, TEN-2, TEN-3).
- ``domains``: add domains (guided/expert), confidential flag, registered users (TEN-4, TEN-6, TEN-7).
- ``booking``: book, discount, deploy, end, cancel services; the end-of-service job (TEN-6, TEN-7, TEN-8).
- ``checks``: the asynchronous consistency check (TEN-7).
- ``offers``: priced quotes and their PDF (TEN-7).
- ``catalogue``: service types and their dependencies (TEN-5).
"""

from .booking import (
    TRANSITIONS,
    ConfirmationRequired,
    DeployResult,
    EndResult,
    MissingDependencies,
    book_services,
    cancel_service,
    complete_ended_services,
    deploy_tenant,
    end_service,
    release_finished_domains,
    set_discount,
)
from .catalogue import TRANSLATED_FIELDS, create_service_type, update_service_type
from .checks import fail_stale_check_runs, run_consistency_check, start_consistency_check
from .domains import add_domain, add_registered_user, remove_registered_user, set_domain_confidential
from .offers import (
    OfferLineInput,
    create_offer,
    discount_reason_label,
    offer_context,
    render_offer_html,
    render_offer_pdf,
)
from .tenants import (
    approve_transfer,
    check_environment,
    create_customer_with_tenant,
    create_tenant,
    decline_transfer,
    rename_tenant,
    request_transfer,
    transfer_actions,
)

__all__ = [
    "TRANSLATED_FIELDS",
    "TRANSITIONS",
    "ConfirmationRequired",
    "DeployResult",
    "EndResult",
    "MissingDependencies",
    "OfferLineInput",
    "add_domain",
    "add_registered_user",
    "approve_transfer",
    "book_services",
    "cancel_service",
    "check_environment",
    "complete_ended_services",
    "create_offer",
    "create_service_type",
    "create_customer_with_tenant",
    "create_tenant",
    "decline_transfer",
    "deploy_tenant",
    "discount_reason_label",
    "end_service",
    "fail_stale_check_runs",
    "offer_context",
    "release_finished_domains",
    "remove_registered_user",
    "rename_tenant",
    "render_offer_html",
    "render_offer_pdf",
    "request_transfer",
    "transfer_actions",
    "run_consistency_check",
    "set_discount",
    "set_domain_confidential",
    "start_consistency_check",
    "update_service_type",
]
