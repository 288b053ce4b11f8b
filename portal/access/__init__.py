"""The single permission authority. Implements ACC-2..ACC-4, ACC-6, TEN-3, DEL-3, DEL-6, API-1.

The story in five parts — read them in this order:

1. **Vocabulary** (``registry.register_model``): each model under the authority names its actions
   (Tenant: view, change, book, deploy, …). A child model takes its parent's rights through a path
   (``register_child``: Domain → Tenant by "tenant"; Offer needs the tenant's ``view_billing`` to be seen).
2. **Sources** (``registry.MembershipSource`` / ``RowSource``): each reason a user may hold rights is written
   once, as data, by the app that owns it, in its ``AppConfig.ready()`` — accounts (memberships, vendor
   staff), tenants (own account, reseller), delegations (managed account with its scope, caretaker grant with
   its scope and expiry), licences and support (theirs). ``portal/`` imports no app.
3. **Who the user is** (``subjects``): the user's memberships, read once per request; the system actor
   ``SYSTEM`` for jobs and demo data (``actor=None`` is refused, never "allowed").
4. **Combination** (``engine``): rights add up over sources; one constraint per (source, action) gives the
   list (``visible``), the object check (``can``: the same constraint narrowed to the object), all rights of
   one object in one query (``rights``), row buttons (``with_rights``) and the explanation (``explain``:
   the same rows read from the object's side; ``why`` for one user). ``require`` answers 404 for what the
   user cannot see and 403 for what it sees but may not do.
5. **Django's own question** (``backend.AuthorityBackend``): ``user.has_perm("tenants.view_tenant", t)``
   is answered by ``can`` — there is no stored permission row that could answer differently.

A property test (``portal/tests/test_authority_properties.py``) checks over random worlds that
``visible(u, M, a)`` == ``{o : can(u, a, o)}`` == ``{o : a in explain(o).rights_of(u)}`` == ``has_perm``
for every registered model and action.
"""

from .engine import (
    ALL,
    Explanation,
    Reason,
    can,
    can_any,
    condition,
    delegation_used,
    explain,
    has_perm,
    require,
    rights,
    role_rights,
    visible,
    why,
    with_rights,
)
from .registry import (
    REGISTRY,
    MembershipSource,
    RowSource,
    Source,
    actions_of,
    register_child,
    register_model,
    register_source,
    registered_models,
    sources_of,
)
from .subjects import (
    SYSTEM,
    Subject,
    SystemActor,
    forget,
    is_person,
    register_membership_model,
    subject,
)

__all__ = [
    "ALL",
    "REGISTRY",
    "SYSTEM",
    "Explanation",
    "MembershipSource",
    "Reason",
    "RowSource",
    "Source",
    "Subject",
    "SystemActor",
    "actions_of",
    "can",
    "can_any",
    "condition",
    "delegation_used",
    "explain",
    "forget",
    "has_perm",
    "is_person",
    "register_child",
    "register_membership_model",
    "register_model",
    "register_source",
    "registered_models",
    "require",
    "role_rights",
    "rights",
    "sources_of",
    "subject",
    "visible",
    "why",
    "with_rights",
]
