"""Admin for licences (UI-2). The catalogue is edited here by vendor admins; authorizations are saved through
``services.authorize_reseller`` (its rules show as form errors); licences, activations, subscriptions and
renewals are read-only, their lifecycle actions call the services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal import access
from portal.admin import ReadOnlyAdminMixin, ScopedAdminMixin
from portal.admin import run_service_action as _run
from portal.errors import DomainError

from . import services
from .models import (
    Activation,
    Kind,
    License,
    LicenseTransfer,
    Price,
    Product,
    ProductGroup,
    ResellerAuthorization,
    ResellerPrice,
    Subscription,
    SubscriptionRenewal,
    Term,
)


class PriceInline(admin.TabularInline):
    model = Price
    extra = 0


@admin.register(ProductGroup)
class ProductGroupAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "allowed_kinds",
        "terms",
        "nfr_term",
        "activation_limit",
        "moves_per_30_days",
    ]
    search_fields = ["name", "code"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["article_number", "name", "product_code", "is_nfr_code"]
    list_filter = ["is_nfr_code", "groups"]
    search_fields = ["article_number", "name", "product_code"]
    filter_horizontal = ["groups"]
    inlines = [PriceInline]


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ["product", "term", "amount"]
    list_filter = ["term"]
    search_fields = ["product__article_number", "product__name"]


@admin.register(ResellerPrice)
class ResellerPriceAdmin(admin.ModelAdmin):
    list_display = ["reseller", "product", "term", "amount"]
    list_filter = ["term"]
    search_fields = ["reseller__number", "reseller__name", "product__article_number"]
    raw_id_fields = ["reseller"]


class AuthorizationForm(forms.ModelForm):
    kinds = forms.MultipleChoiceField(
        label=_("licence kinds"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple
    )
    terms = forms.MultipleChoiceField(
        label=_("subscription terms"),
        choices=Term.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = ResellerAuthorization
        fields = ["reseller", "group", "kinds", "max_demo_days", "terms"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.check_authorization(
                reseller=data["reseller"],
                group=data["group"],
                kinds=data.get("kinds"),
                max_demo_days=data["max_demo_days"],
                terms=data.get("terms"),
            )
        except DomainError as exc:
            raise ValidationError(
                {key: value for key, value in exc.fields.items() if key in self.fields} or str(exc.detail)
            ) from None
        return data


@admin.register(ResellerAuthorization)
class ResellerAuthorizationAdmin(admin.ModelAdmin):
    form = AuthorizationForm
    list_display = ["reseller", "group", "kinds", "max_demo_days", "terms", "created_at"]
    list_filter = ["group"]
    search_fields = ["reseller__number", "reseller__name", "group__code"]
    raw_id_fields = ["reseller"]

    def save_model(self, request, obj, form, change):
        saved = services.authorize_reseller(
            actor=request.user,
            reseller=form.cleaned_data["reseller"],
            group=form.cleaned_data["group"],
            kinds=form.cleaned_data["kinds"],
            max_demo_days=form.cleaned_data["max_demo_days"],
            terms=form.cleaned_data.get("terms") or [],
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.withdraw_authorization(actor=request.user, authorization=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.withdraw_authorization(actor=request.user, authorization=obj)


class ActivationInline(admin.TabularInline):
    model = Activation
    extra = 0
    can_delete = False
    fields = ["fingerprint", "activated_at", "deactivated_at", "reason", "by_vendor_support"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(License)
class LicenseAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "key",
        "kind",
        "status",
        "product",
        "holder",
        "issuer",
        "tenant",
        "quantity",
        "issued_at",
        "expires_at",
    ]
    list_filter = ["kind", "status", "product", "issued_at"]
    search_fields = [
        "key",
        "holder__number",
        "holder__name",
        "issuer__number",
        "issuer__name",
        "tenant__number",
    ]
    list_select_related = ["product", "holder", "issuer", "tenant"]
    date_hierarchy = "issued_at"
    inlines = [ActivationInline]
    actions = ["cancel", "void_refund", "restore"]
    show_full_result_count = False

    @admin.action(description=_("Cancel selected subscriptions (run to the period end)"))
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, lic: services.cancel_license(actor=user, license=lic),
            _("%(n)d licences cancelled."),
        )

    @admin.action(description=_("Void selected subscriptions (refund; recalled at the next check-in)"))
    def void_refund(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, lic: services.void_license(actor=user, license=lic),
            _("%(n)d licences voided."),
        )

    @admin.action(description=_("Restore selected licences (revoke their activations)"))
    def restore(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, lic: services.restore_license(actor=user, license=lic),
            _("%(n)d licences restored."),
        )


@admin.register(Subscription)
class SubscriptionAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "license",
        "term",
        "started_on",
        "current_period_start",
        "current_period_end",
        "auto_renew",
        "void_reason",
    ]
    list_filter = ["term", "auto_renew", "void_reason"]
    search_fields = ["license__key", "license__holder__number"]
    list_select_related = ["license"]


@admin.register(SubscriptionRenewal)
class SubscriptionRenewalAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["subscription", "period_start", "period_end", "created_at"]
    search_fields = ["subscription__license__key"]
    list_select_related = ["subscription__license"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(subscription__license__in=access.visible(request.user, License))


@admin.register(Activation)
class ActivationAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["license", "fingerprint", "activated_at", "deactivated_at", "reason", "by_vendor_support"]
    list_filter = ["reason", "by_vendor_support"]
    search_fields = ["license__key", "fingerprint"]
    list_select_related = ["license"]


@admin.register(LicenseTransfer)
class LicenseTransferAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "license",
        "from_account",
        "to_account",
        "proposed_by_account",
        "status",
        "proposed_at",
        "decided_at",
    ]
    list_filter = ["status"]
    search_fields = ["license__key", "from_account__number", "to_account__number"]
    list_select_related = ["license", "from_account", "to_account", "proposed_by_account"]
    actions = ["decline"]

    @admin.action(description=_("Decline selected pending moves"))
    def decline(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda user, transfer: services.answer_move(actor=user, transfer=transfer, action="decline"),
            _("%(n)d moves declined."),
        )
