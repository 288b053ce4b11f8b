"""Django's permission question answered by the authority (issue 8: one rule, one answer).

``user.has_perm("tenants.view_tenant", tenant)`` comes here for object permissions: the codename maps to an
action of a registered model (``register_model(..., permissions=...)``) and ``access.can`` answers. No stored
per-object permission row exists any more (django-guardian's rows could answer for a grant that had already
expired), so nothing can answer differently. Model-level permissions (the admin's "may view audit events")
stay with Django's ModelBackend.
"""

from __future__ import annotations

from .engine import has_perm


class AuthorityBackend:
    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        if obj is None:
            return False
        return has_perm(user_obj, perm, obj)

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return False
