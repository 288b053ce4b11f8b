"""The ticket lifecycle (SUP-6), one table:

open ─wait→ waiting ─reopen→ open;   open/waiting ─close→ closed ─reopen→ open
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.transitions import StateMachine, Transition

TICKET = StateMachine(
    Transition(
        "wait", ("open",), "waiting", "ticket_not_open", _("Only an open ticket can wait for an answer.")
    ),
    Transition("reopen", ("waiting", "closed"), "open", "ticket_open", _("The ticket is open already.")),
    Transition("close", ("open", "waiting"), "closed", "ticket_closed", _("The ticket is closed already.")),
)
