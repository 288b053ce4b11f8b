"""Delegation pages (UI-1), split by topic. Implements DEL-1 (request form, no enumeration, rate-limit message), DEL-2 (grant form
with confirmation step, the link page), DEL-4 (lifecycle buttons, one-click extension), DEL-5 (the overview),
DEL-7 (a grant's own trail), ACC-4 (managed accounts: request, answer, notice, dissolution) and the in-app
notifications.

Reads go through ``delegations.selectors`` (scoped by ``portal.access``: unseen objects answer 404), writes
through ``delegations.services`` (refused 403, wrong state 409, bad input 400, rate limit 429). A POST that
fails renders its page again with the service's status code and changes nothing; a POST that succeeds
redirects (htmx requests get the refreshed fragment instead).

URL names: ``delegation_overview``, ``delegation_request``, ``delegation_grant``, ``delegation_detail``,
``delegation_accept_link`` (``?token=``), ``delegation_extend``, ``delegation_action`` (pk, action),
``notification_list``, ``notification_read``, ``notification_read_all``, ``managed_account_list``,
``management_request``, ``managed_account_detail``, ``management_action`` (pk, action).
"""

from .grants import (
    delegation_accept_link,
    delegation_action,
    delegation_detail,
    delegation_extend,
    delegation_grant,
    delegation_overview,
    delegation_request,
)
from .managed import managed_account_detail, managed_account_list, management_action, management_request
from .notifications import notification_list, notification_read, notification_read_all

__all__ = [
    "delegation_accept_link",
    "delegation_action",
    "delegation_detail",
    "delegation_extend",
    "delegation_grant",
    "delegation_overview",
    "delegation_request",
    "managed_account_detail",
    "managed_account_list",
    "management_action",
    "management_request",
    "notification_list",
    "notification_read",
    "notification_read_all",
]
