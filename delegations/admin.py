"""Admin for the delegation models (UI-2). Lifecycle actions call the services; rows are never edited by hand."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import access
from portal.admin import OwnRowsAdminMixin, ReadOnlyAdminMixin, ScopedAdminMixin
from portal.admin import run_service_action as _run

from . import services
from .models import CaretakerGrant, GrantInvitation, ManagedAccount, Notification


@admin.register(CaretakerGrant)
class CaretakerGrantAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "tenant_number",
        "customer_account",
        "caretaker_email",
        "partner_account",
        "origin",
        "scope",
        "status",
        "expires_at",
        "created_at",
    ]
    list_filter = ["status", "origin", "scope", "created_at"]
    search_fields = [
        "tenant_number",
        "caretaker_email",
        "caretaker__email",
        "customer_account__number",
        "customer_account__name",
        "partner_account__number",
        "partner_account__name",
    ]
    list_select_related = ["customer_account", "partner_account"]
    date_hierarchy = "created_at"
    actions = ["revoke", "withdraw", "extend"]

    @admin.action(description=_("Revoke selected active grants"))
    def revoke(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, grant: services.revoke_caretaker_access(actor=user, grant=grant, reason="admin"),
            _("%(n)d grants revoked."),
        )

    @admin.action(description=_("Withdraw selected pending grants"))
    def withdraw(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, grant: services.withdraw_delegation(actor=user, grant=grant),
            _("%(n)d grants withdrawn."),
        )

    @admin.action(description=_("Extend selected active grants by 30 days"))
    def extend(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, grant: services.extend_caretaker_access(actor=user, grant=grant),
            _("%(n)d grants extended."),
        )


@admin.register(ManagedAccount)
class ManagedAccountAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "customer_number",
        "customer_account",
        "partner_account",
        "scope",
        "status",
        "partner_notified_at",
        "created_at",
    ]
    list_filter = ["status", "scope", "created_at"]
    search_fields = [
        "customer_number",
        "customer_account__number",
        "customer_account__name",
        "partner_account__number",
        "partner_account__name",
    ]
    list_select_related = ["customer_account", "partner_account"]
    actions = ["notify_partner", "dissolve"]

    @admin.action(description=_("Notify the partner of the dissolution (vendor support)"))
    def notify_partner(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, relation: services.notify_partner_of_dissolution(
                actor=user,
                relation=relation,
                notice=str(_("The customer asked us to dissolve your management of its account.")),
            ),
            _("%(n)d partners notified."),
        )

    @admin.action(description=_("Dissolve selected relations on the owner's behalf"))
    def dissolve(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, relation: services.dissolve_management(
                actor=user, relation=relation, reason="admin"
            ),
            _("%(n)d relations dissolved."),
        )


@admin.register(GrantInvitation)
class GrantInvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Non-superuser staff see the invitations of customer accounts whose grants they may manage."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        from accounts.models import Account

        return queryset.filter(customer_account__in=access.visible(request.user, Account, "delegate"))

    list_display = ["id", "email", "customer_account", "created_at", "expires_at", "used_at", "replaced_at"]
    list_filter = ["used_at", "replaced_at", "expires_at"]
    search_fields = ["email", "customer_account__number", "customer_account__name"]
    list_select_related = ["customer_account"]
    exclude = ["nonce"]  # the link's secret


@admin.register(Notification)
class NotificationAdmin(OwnRowsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind", "read_at"]
    search_fields = ["user__email", "kind"]
    list_select_related = ["user"]
