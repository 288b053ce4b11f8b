"""Delegation writes (DEL-1..DEL-7, ACC-4), split by topic; import them from here.

grants.py    request / grant / accept / decline / withdraw / revoke / resign / extend, the single-use link
sweeps.py    expiry, lapse and reminder jobs (set-based, safe to run concurrently)
managed.py   managed accounts (ACC-4)
notices.py   reading in-app notifications
"""

from .grants import (
    ALREADY_ACTIVE,
    ALREADY_PENDING,
    EXTENSION,
    REQUEST_OUTCOME_MESSAGES,
    REQUEST_RECEIVED,
    REQUESTED,
    accept_delegation,
    accept_grant_link,
    decline_delegation,
    extend_caretaker_access,
    grant_caretaker_access,
    request_caretaker_access,
    resend_grant_link,
    resign_caretaker_access,
    revoke_caretaker_access,
    sign_up_and_accept_grant_link,
    withdraw_delegation,
)
from .managed import (
    MANAGEMENT_REQUEST_RECEIVED,
    approve_management,
    decline_management,
    dissolve_management,
    notify_partner_of_dissolution,
    request_management,
    withdraw_management,
)
from .notices import mark_all_notifications_read, mark_notification_read
from .sweeps import LAPSE_AFTER, expire_due_grants, lapse_stale_requests, send_expiry_reminders

__all__ = [
    "ALREADY_ACTIVE",
    "ALREADY_PENDING",
    "EXTENSION",
    "REQUESTED",
    "REQUEST_OUTCOME_MESSAGES",
    "LAPSE_AFTER",
    "MANAGEMENT_REQUEST_RECEIVED",
    "REQUEST_RECEIVED",
    "accept_delegation",
    "accept_grant_link",
    "approve_management",
    "decline_delegation",
    "decline_management",
    "dissolve_management",
    "expire_due_grants",
    "extend_caretaker_access",
    "grant_caretaker_access",
    "lapse_stale_requests",
    "mark_all_notifications_read",
    "mark_notification_read",
    "notify_partner_of_dissolution",
    "request_caretaker_access",
    "request_management",
    "resend_grant_link",
    "resign_caretaker_access",
    "revoke_caretaker_access",
    "send_expiry_reminders",
    "sign_up_and_accept_grant_link",
    "withdraw_delegation",
    "withdraw_management",
]
