"""Admin for users, accounts and memberships (UI-2). Writes go through accounts.services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from portal.admin import OwnRowsAdminMixin, ReadOnlyAdminMixin, ScopedAdminMixin
from portal.errors import DomainError

from . import erasure, invitations, services, tokens, twofactor
from .models import Account, ApiToken, Membership, MembershipInvitation, User

UPDATABLE = ("name", "language", "is_active")


def _unregister_groups():
    """Roles are memberships, not groups: Django's group admin (and with it hand-made role groups and their
    model permissions) is not offered."""
    from django.contrib.auth.models import Group

    if admin.site.is_registered(Group):
        admin.site.unregister(Group)


_unregister_groups()


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    """Users (UI-2, issue 8 §5). Roles are memberships (changed in the portal through accounts.services, with
    the rights ceiling, the last-owner rule and the audit), never Django groups; the staff and superuser flags
    are not editable here; users are not added (they sign up or are invited) nor deleted (deactivate them).
    What may change — name, language, active — goes through ``services.update_user`` (superusers, audited).
    Non-superuser staff see the users the authority shows them, read-only."""

    ordering = ["email"]
    list_display = ["email", "name", "language", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "language"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email"]}),
        (_("Personal"), {"fields": ["name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["email", "is_staff", "is_superuser", "last_login", "date_joined"]
    actions = ["reset_two_factor", "log_out_everywhere"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        """Django's set-password form (superusers only: ``has_change_permission``); a new password ends the
        user's sessions and tokens (accounts.signals) and is audited here."""
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            services.record_password_set(actor=request.user, user=User.objects.get(pk=id))
        return response

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data if field in UPDATABLE}
        if not changes:
            return
        try:
            services.update_user(actor=request.user, user=User.objects.get(pk=obj.pk), **changes)
        except DomainError as exc:
            messages.error(request, exc.detail)

    @admin.action(description=_("Reset two-factor authentication (lost phone; ends every session and token)"))
    def reset_two_factor(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                twofactor.reset_two_factor(actor=request.user, user=user, reason="admin")
            except DomainError as exc:
                messages.error(request, f"{user}: {exc.detail}")
            else:
                done += 1
        if done:
            messages.success(request, _("Two-factor authentication reset for %(n)d users.") % {"n": done})

    @admin.action(description=_("Log out everywhere (ends every session and API token)"))
    def log_out_everywhere(self, request, queryset):
        for user in queryset:
            tokens.log_out_everywhere(user=user)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["user", "role", "created_at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class AccountAdminForm(forms.ModelForm):
    """On add, ACC-1's rules are checked by the service (it numbers production accounts), not by the model's
    constraints: those would refuse the blank number the service is about to fill in."""

    class Meta:
        model = Account
        fields = [
            "number",
            "name",
            "kind",
            "purpose",
            "leading_account",
            "contact_email",
            "street",
            "postal_code",
            "city",
            "country",
            "reseller",
        ]

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        if self.instance._state.adding:
            exclude.update({"number", "leading_account"})
        return exclude

    def clean(self):
        cleaned = super().clean()
        if self.instance._state.adding and not self.errors:
            try:
                services.check_new_account(
                    name=cleaned.get("name", ""),
                    kind=cleaned.get("kind", ""),
                    purpose=cleaned.get("purpose", ""),
                    contact_email=cleaned.get("contact_email", ""),
                    leading_account=cleaned.get("leading_account"),
                    number=cleaned.get("number") or None,
                )
            except DomainError as exc:
                for field, errors in exc.fields.items():
                    self.add_error(field if field in self.fields else None, errors)
                if not exc.fields:
                    self.add_error(None, str(exc.detail))
        return cleaned


@admin.register(Account)
class AccountAdmin(ScopedAdminMixin, admin.ModelAdmin):
    form = AccountAdminForm
    list_display = [
        "number",
        "name",
        "kind",
        "purpose",
        "leading_account",
        "contact_email",
        "reseller",
        "created_at",
    ]
    list_filter = ["kind", "purpose"]
    search_fields = ["number", "name", "contact_email"]
    autocomplete_fields = ["leading_account", "reseller"]
    readonly_fields = ["created_at", "anonymized_at"]
    inlines = [MembershipInline]
    actions = ["erase_personal_data"]

    @admin.action(description=_("Erase personal data (GDPR, irreversible; type each customer number)"))
    def erase_personal_data(self, request, queryset):
        """LIC-12: an intermediate page asks for each account's number; only typed numbers are erased."""
        accounts = list(queryset.order_by("number", "pk"))
        if request.POST.get("erase_confirmed") == "1":
            erased = 0
            for account in accounts:
                typed = request.POST.get(f"confirm_{account.pk}", "")
                try:
                    erasure.erase_account(actor=request.user, account=account, confirmation=typed)
                except DomainError as exc:
                    messages.error(request, f"{account.identifier}: {exc.detail}")
                else:
                    erased += 1
            if erased:
                messages.success(
                    request,
                    _("Personal data of %(n)d account(s) erased. This cannot be undone.") % {"n": erased},
                )
            return None
        return TemplateResponse(
            request,
            "admin/accounts/account/erase_confirmation.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Erase personal data"),
                "accounts": accounts,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def has_delete_permission(self, request, obj=None):
        return False  # accounts are never deleted past the services (memberships, tenants, audit)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + (["kind", "purpose", "leading_account", "number"] if obj else [])

    def save_model(self, request, obj, form, change):
        try:
            if change:
                changed = {
                    f: form.cleaned_data[f]
                    for f in form.changed_data
                    if f in {"name", "contact_email", "street", "postal_code", "city", "country"}
                }
                if changed:
                    services.update_account(actor=request.user, account=obj, **changed)
            else:
                created = services.create_account(
                    actor=request.user,
                    name=obj.name,
                    kind=obj.kind,
                    purpose=obj.purpose,
                    contact_email=obj.contact_email,
                    leading_account=obj.leading_account,
                    number=obj.number or None,
                    reseller=obj.reseller,
                    street=obj.street,
                    postal_code=obj.postal_code,
                    city=obj.city,
                    country=obj.country,
                )
                obj.pk, obj.number, obj.created_at = created.pk, created.number, created.created_at
                obj._state.adding = False
        except DomainError as exc:
            messages.error(request, exc.detail)


@admin.register(Membership)
class MembershipAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "account", "role", "created_at"]
    list_filter = ["role", "account__kind"]
    search_fields = ["user__email", "account__number", "account__name"]
    list_select_related = ["user", "account"]
    autocomplete_fields = ["user", "account"]
    actions = ["remove_roles"]

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        current = set(
            Membership.objects.filter(account=obj.account, user=obj.user).values_list("role", flat=True)
        )
        try:
            if current:
                services.change_roles(
                    actor=request.user, account=obj.account, user=obj.user, roles=sorted(current | {obj.role})
                )
            else:
                services.invite_member(
                    actor=request.user, account=obj.account, email=obj.user.email, roles=[obj.role]
                )
        except DomainError as exc:
            messages.error(request, exc.detail)

    def delete_model(self, request, obj):
        self.remove_roles(request, Membership.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        self.remove_roles(request, queryset)

    @admin.action(description=_("Remove selected roles (last-owner and rights-ceiling rules apply)"))
    def remove_roles(self, request, queryset):
        for membership in queryset.select_related("user", "account"):
            current = set(
                Membership.objects.filter(account=membership.account, user=membership.user).values_list(
                    "role", flat=True
                )
            )
            try:
                if current == {membership.role}:
                    services.remove_member(
                        actor=request.user, account=membership.account, user=membership.user
                    )
                else:
                    services.change_roles(
                        actor=request.user,
                        account=membership.account,
                        user=membership.user,
                        roles=sorted(current - {membership.role}),
                    )
            except DomainError as exc:
                messages.error(request, f"{membership}: {exc.detail}")


@admin.register(ApiToken)
class ApiTokenAdmin(OwnRowsAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """API tokens (only their digest is stored): visible, revocable through the users' actions."""

    list_display = ["token_key", "user", "created", "expiry"]
    search_fields = ["token_key", "user__email"]
    list_select_related = ["user"]


def _unregister_knox_default():
    from knox.models import AuthToken

    if admin.site.is_registered(AuthToken):  # shown as accounts.ApiToken (read-only, no add form)
        admin.site.unregister(AuthToken)


_unregister_knox_default()


@admin.register(MembershipInvitation)
class MembershipInvitationAdmin(ScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Invitations of existing users (ACC-6): read-only; withdrawing goes through the service (audited)."""

    list_display = ["id", "user", "account", "roles", "status", "invited_by", "created_at", "expires_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["user__email", "account__number", "account__name"]
    list_select_related = ["user", "account", "invited_by"]
    actions = ["withdraw"]

    @admin.action(description=_("Withdraw the selected pending invitations"))
    def withdraw(self, request, queryset):
        for invitation in queryset:
            try:
                invitations.withdraw_invitation(actor=request.user, invitation=invitation)
            except DomainError as exc:
                messages.error(request, f"{invitation}: {exc.detail}")
