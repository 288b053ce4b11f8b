"""Admin for delivery destinations and the delivery log (REP-4). Writes go through reports.services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from portal.errors import DomainError

from . import services
from .models import Delivery, DeliveryAttempt, Destination


@admin.register(Destination)
class DestinationAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "account", "kind", "url", "email", "send_licenses", "send_statement", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "account__number", "account__name", "url", "email"]
    exclude = ["secret"]


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "status_code", "ok", "error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "destination",
        "content",
        "period_start",
        "period_end",
        "status",
        "attempts",
        "last_status_code",
    ]
    list_filter = ["status", "content"]
    search_fields = ["destination__name", "destination__account__number"]
    inlines = [DeliveryAttemptInline]
    actions = ["resend"]

    @admin.action(description=_("Send again"))
    def resend(self, request, queryset):
        for delivery in queryset:
            try:
                services.resend_delivery(actor=request.user, delivery=delivery)
            except DomainError as exc:
                messages.error(request, f"{delivery}: {exc.detail}")
