"""Admin for tenants, transfers, domains, the catalogue, booked services, checks and offers (UI-2).
The owning account is read-only once set (TEN-1); every write goes through tenants.services."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from portal import access
from portal.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from portal.errors import DomainError

from . import catalogue, masking, services
from .models import (
    BookedService,
    CheckRun,
    Domain,
    Finding,
    Offer,
    OfferLine,
    RegisteredUser,
    ServiceType,
    Tenant,
    TenantTransfer,
)


@admin.register(Tenant)
class TenantAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "name", "environment", "account", "reseller", "created_at"]
    list_filter = ["environment", "account__purpose"]
    search_fields = ["number", "name", "account__number", "account__name"]
    list_select_related = ["account", "reseller"]
    autocomplete_fields = ["account", "reseller"]
    readonly_fields = ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # tenants are never deleted past the services

    def get_readonly_fields(self, request, obj=None):
        return (
            ["number", "account", "reseller", "environment", "created_at"]
            if obj
            else ["number", "created_at"]
        )

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.rename_tenant(actor=request.user, tenant=obj, name=obj.name)
            else:
                created = services.create_tenant(
                    actor=request.user,
                    account=obj.account,
                    name=obj.name,
                    environment=obj.environment,
                    acting_for=obj.reseller,
                )
                obj.pk, obj.number = created.pk, created.number
        except DomainError as exc:
            messages.error(request, exc.detail)


@admin.register(TenantTransfer)
class TenantTransferAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "tenant",
        "from_account",
        "to_account",
        "status",
        "from_approved_by",
        "to_approved_by",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status"]
    search_fields = ["tenant__number", "from_account__number", "to_account__number"]
    actions = ["approve", "decline"]
    readonly_fields = [
        "tenant",
        "from_account",
        "to_account",
        "status",
        "requested_by",
        "from_approved_by",
        "to_approved_by",
        "completed_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # a transfer is declined, never deleted

    @admin.action(description=_("Approve selected transfers (as owner of a side)"))
    def approve(self, request, queryset):
        for transfer in queryset:
            try:
                services.approve_transfer(actor=request.user, transfer=transfer)
            except DomainError as exc:
                messages.error(request, f"{transfer}: {exc.detail}")

    @admin.action(description=_("Decline selected transfers"))
    def decline(self, request, queryset):
        for transfer in queryset:
            try:
                services.decline_transfer(actor=request.user, transfer=transfer)
            except DomainError as exc:
                messages.error(request, f"{transfer}: {exc.detail}")


# --- Domains, catalogue, booked services, checks, offers (UI-2 for TEN-4..TEN-8) -------------------------
# Actions and saves go through the services, never save(): the same rules as UI and API, with audit.


def _run_action(request, queryset, call, done_message):
    done = 0
    for obj in queryset:
        try:
            call(obj)
            done += 1
        except DomainError as exc:
            messages.error(request, f"{obj}: {exc.detail}")
    if done:
        messages.success(request, done_message % {"count": done})


def _may_see_ids(request):
    """TEN-4 in the admin: superusers read every name; other staff the tenants where they hold
    ``manage_confidential`` (the authority), everything else masked — listed, searched and sorted masked."""
    if request.user.is_superuser:
        return True
    return list(access.visible(request.user, Tenant, "manage_confidential").values_list("pk", flat=True))


class RegisteredUserInline(admin.TabularInline):
    model = RegisteredUser
    extra = 0
    fields = ["address", "name", "created_at", "created_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shown_email=masking.shown_email(_may_see_ids(request)))

    @admin.display(description=_("e-mail"))
    def address(self, obj):
        return getattr(obj, "shown_email", None) or "–"

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BookedServiceInline(admin.TabularInline):
    model = BookedService
    extra = 0
    fields = [
        "number",
        "service_type",
        "status",
        "deployed_on",
        "billing_start",
        "end_date",
        "discount_percent",
    ]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Domain)
class DomainAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["display_name", "tenant", "confidential", "created_at", "deployed_at", "released_at"]
    exclude = ["name", "unicode_name"]  # shown as display_name: masked where the viewer may not read it
    readonly_fields = ["display_name"]
    list_filter = [
        "confidential",
        ("deployed_at", admin.EmptyFieldListFilter),
        ("released_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["name", "unicode_name", "tenant__number", "tenant__name"]
    list_select_related = ["tenant"]
    inlines = [BookedServiceInline, RegisteredUserInline]
    actions = ["mark_confidential", "unmark_confidential"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shown_name=masking.shown_name(_may_see_ids(request)))

    def get_search_fields(self, request):
        if request.user.is_superuser:
            return self.search_fields
        return ["shown_name", "tenant__number", "tenant__name"]  # never the real name of a masked domain

    @admin.display(description=_("domain"), ordering="shown_name")
    def display_name(self, obj):
        return getattr(obj, "shown_name", None) or str(obj)

    @admin.action(description=_("Mark selected domains confidential"))
    def mark_confidential(self, request, queryset):
        _run_action(
            request,
            queryset,
            lambda domain: services.set_domain_confidential(
                actor=request.user, domain=domain, confidential=True
            ),
            _("%(count)d domains marked confidential."),
        )

    @admin.action(description=_("Remove the confidential mark"))
    def unmark_confidential(self, request, queryset):
        _run_action(
            request,
            queryset,
            lambda domain: services.set_domain_confidential(
                actor=request.user, domain=domain, confidential=False
            ),
            _("%(count)d domains are no longer confidential."),
        )


class ServiceTypeForm(forms.ModelForm):
    class Meta:
        model = ServiceType
        fields = [
            "code",
            "name_de",
            "name_en",
            "description_de",
            "description_en",
            "monthly_price",
            "is_base",
            "requires",
            "active",
            "position",
        ]

    def clean(self):
        cleaned = super().clean()
        requires = cleaned.get("requires")
        if self.instance.pk and requires is not None:
            try:
                catalogue.check_acyclic(self.instance, list(requires))
            except DomainError as exc:
                raise forms.ValidationError(exc.detail) from exc
        return cleaned


@admin.register(ServiceType)
class ServiceTypeAdmin(TranslationAdmin):
    form = ServiceTypeForm
    list_display = ["code", "name", "monthly_price", "is_base", "active", "position", "requirement_codes"]
    list_filter = ["is_base", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["requires"]
    ordering = ["-is_base", "position", "name"]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj else []

    @admin.display(description=_("requires"))
    def requirement_codes(self, obj):
        return ", ".join(service_type.code for service_type in obj.requires.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("requires")

    def has_delete_permission(self, request, obj=None):
        return False  # bookings and offers refer to types: retire them (active = no) instead

    def save_model(self, request, obj, form, change):
        # Fields and requirements in one service call: one audit event per save, the cycle check included.
        fields = {key: form.cleaned_data[key] for key in ["monthly_price", "is_base", "active", "position"]}
        texts = {key: form.cleaned_data.get(key) or "" for key in services.TRANSLATED_FIELDS}
        requires = list(form.cleaned_data.get("requires") or [])
        try:
            if change:
                services.update_service_type(
                    actor=request.user, service_type=obj, requires=requires, **fields, **texts
                )
            else:
                created = services.create_service_type(
                    actor=request.user,
                    code=form.cleaned_data["code"],
                    name="",
                    requires=requires,
                    translations=texts,
                    **fields,
                )
                obj.pk = created.pk
        except DomainError as exc:
            messages.error(request, exc.detail)

    def save_related(self, request, form, formsets, change):
        pass  # the requirements were saved by the service in save_model (form.save_m2m would bypass it)


@admin.register(BookedService)
class BookedServiceAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "domain",
        "service_type",
        "status",
        "deployed_on",
        "billing_start",
        "end_date",
        "discount_percent",
        "discount_reason",
    ]
    list_filter = ["status", "service_type", ("billing_start", admin.EmptyFieldListFilter)]
    search_fields = [
        "number",
        "domain__name",
        "domain__unicode_name",
        "domain__tenant__number",
        "service_type__code",
        "discount_reason",
    ]
    list_select_related = ["domain", "service_type"]
    date_hierarchy = "ordered_at"
    actions = ["end_at_default_date", "cancel", "complete_ended"]

    def get_search_fields(self, request):
        if request.user.is_superuser:
            return self.search_fields
        return [
            field for field in self.search_fields if not field.startswith("domain__") or "tenant" in field
        ]

    @admin.action(description=_("End selected services at the default date (with dependants)"))
    def end_at_default_date(self, request, queryset):
        _run_action(
            request,
            queryset,
            lambda service: services.end_service(actor=request.user, service=service, confirm=True),
            _("%(count)d services ended."),
        )

    @admin.action(description=_("Cancel selected services (not deployed yet)"))
    def cancel(self, request, queryset):
        _run_action(
            request,
            queryset,
            lambda service: services.cancel_service(actor=request.user, service=service, confirm=True),
            _("%(count)d services cancelled."),
        )

    @admin.action(description=_("Run the end-of-service job now (all services past their end date)"))
    def complete_ended(self, request, queryset):
        count = services.complete_ended_services()
        messages.success(request, _("%(count)d services ended.") % {"count": count})


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    fields = ["severity", "code", "domain", "service", "details"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CheckRun)
class CheckRunAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "tenant",
        "status",
        "progress",
        "checked_domains",
        "total_domains",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["tenant__number", "tenant__name"]
    list_select_related = ["tenant"]
    inlines = [FindingInline]
    actions = ["check_again"]

    @admin.action(description=_("Check the tenants of the selected runs again"))
    def check_again(self, request, queryset):
        tenants = {run.tenant for run in queryset.select_related("tenant")}
        _run_action(
            request,
            tenants,
            lambda tenant: services.start_consistency_check(actor=request.user, tenant=tenant),
            _("%(count)d checks started."),
        )


class OfferLineInline(admin.TabularInline):
    model = OfferLine
    extra = 0
    fields = [
        "position",
        "name",
        "quantity",
        "unit_price",
        "discount_percent",
        "discount_reason",
        "monthly_amount",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Offer)
class OfferAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "tenant",
        "title",
        "monthly_total",
        "annual_total",
        "valid_until",
        "created_at",
        "created_by",
    ]
    list_filter = ["created_at"]
    search_fields = ["number", "tenant__number", "tenant__name", "title"]
    list_select_related = ["tenant", "created_by"]
    inlines = [OfferLineInline]
