"""Admin plumbing (UI-2): every changelist is scoped by portal.access for non-superusers; audit is read-only."""

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import access
from portal.models import AuditEvent, IdempotencyRecord, Sequence

# UI-2: the admin carries the product's name, not Django's.
admin.site.site_header = settings.PORTAL_NAME
admin.site.site_title = settings.PORTAL_NAME
admin.site.index_title = _("Administration")


class ScopedAdminMixin:
    """Non-superuser staff see in the admin only what portal.access lets them see."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=access.visible(request.user, self.model).values("pk"))


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "actor", "acting_account", "action", "target_repr", "tenant", "grant"]
    list_filter = ["action", "created_at"]
    search_fields = ["action", "target_repr", "actor__email", "tenant__number", "account__number"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "acting_account", "tenant", "grant"]


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "user", "key", "method", "path", "status_code", "completed_at"]
    search_fields = ["key", "path", "user__email"]
    list_filter = ["method", "status_code"]


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "last_value"]
