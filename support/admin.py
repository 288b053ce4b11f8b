"""Admin for the support models (UI-2): contracts are created, changed and ended through the services (audited);
tickets change status and legacy links are resolved through the services; coverage categories (seed 001) and
closure days are configuration edited here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from portal.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from portal.admin import run_service_action as _run
from portal.errors import DomainError

from . import services
from .models import ClosureDay, Contract, CoverageCategory, LegacyTenantLink, Ticket, TicketMessage


@admin.register(Contract)
class ContractAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "account",
        "kind",
        "valid_from",
        "valid_until",
        "technical_contact",
        "system_administrator",
    ]
    list_filter = ["kind", "valid_from", "valid_until"]
    search_fields = ["number", "account__number", "account__name", "account__contact_email"]
    list_select_related = ["account", "technical_contact", "system_administrator"]
    autocomplete_fields = ["account"]
    raw_id_fields = ["technical_contact", "system_administrator"]
    readonly_fields = ["number", "created_at"]
    actions = ["end_today"]

    def has_delete_permission(self, request, obj=None):
        return False  # contracts end (audited); they are not deleted

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data.get(name) for name in services.CONTRACT_FIELDS}
        try:
            if change:
                services.update_contract(actor=request.user, contract=obj, **fields)
            else:
                created = services.create_contract(
                    actor=request.user, account=form.cleaned_data["account"], **fields
                )
                obj.pk, obj.number, obj.created_at = created.pk, created.number, created.created_at
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            raise

    @admin.action(description=_("End selected contracts today"))
    def end_today(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, contract: services.end_contract(
                actor=user, contract=contract, on=timezone.localdate()
            ),
            _("%(n)d contracts ended."),
        )


@admin.register(CoverageCategory)
class CoverageCategoryAdmin(TranslationAdmin):
    list_display = ["code", "name", "covered", "position", "active"]
    list_filter = ["covered", "active"]
    list_editable = ["position", "active"]
    search_fields = ["code", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # tickets keep their category; deactivate instead


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ["date", "reason"]
    date_hierarchy = "date"
    search_fields = ["reason"]


class TicketMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TicketMessage
    fields = ["created_at", "author", "body"]
    readonly_fields = fields
    extra = 0


@admin.register(Ticket)
class TicketAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "subject",
        "account",
        "subject_account",
        "category",
        "billable",
        "status",
        "verdict",
        "created_at",
    ]
    list_filter = ["status", "verdict", "billable", "category", "created_at"]
    search_fields = [
        "number",
        "subject",
        "account__number",
        "subject_account__number",
        "email_domain",
        "reference",
    ]
    list_select_related = ["account", "subject_account", "category"]
    date_hierarchy = "created_at"
    inlines = [TicketMessageInline]
    actions = ["close", "wait", "reopen"]

    def _status(self, request, queryset, status, done):
        _run(
            self,
            request,
            queryset,
            lambda user, ticket: services.change_ticket_status(actor=user, ticket=ticket, status=status),
            done,
        )

    @admin.action(description=_("Close selected tickets"))
    def close(self, request, queryset):
        self._status(request, queryset, "closed", _("%(n)d tickets closed."))

    @admin.action(description=_("Mark selected tickets as waiting"))
    def wait(self, request, queryset):
        self._status(request, queryset, "waiting", _("%(n)d tickets waiting."))

    @admin.action(description=_("Reopen selected tickets"))
    def reopen(self, request, queryset):
        self._status(request, queryset, "open", _("%(n)d tickets reopened."))


@admin.register(LegacyTenantLink)
class LegacyTenantLinkAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["tenant", "tenant_account", "account", "imported_at", "resolved_at", "chosen_account"]
    list_filter = ["resolved_at", "imported_at"]
    search_fields = ["tenant__number", "account__number", "tenant__account__number"]
    list_select_related = ["tenant", "tenant__account", "account", "chosen_account"]
    actions = ["keep_current", "choose_legacy"]

    @admin.display(description=_("current account"))
    def tenant_account(self, obj):
        return obj.tenant.account

    @admin.action(description=_("Resolve: keep the tenant's current account"))
    def keep_current(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, link: services.resolve_legacy_link(
                actor=user, link=link, chosen_account=link.tenant.account
            ),
            _("%(n)d links resolved."),
        )

    @admin.action(description=_("Resolve: move the tenant to the legacy account"))
    def choose_legacy(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, link: services.resolve_legacy_link(
                actor=user, link=link, chosen_account=link.account
            ),
            _("%(n)d links resolved."),
        )
