"""Forms of the delegation pages (UI-1). Implements the input side of DEL-1 (caretaker request), DEL-2 (customer
grant with confirmation step, sign-up from the link), DEL-4 (accept with expiry, extend), ACC-4 (management
request, notice to the partner, dissolution).

Forms only shape and check input; who may do what, and every rule that needs other rows, is decided by the
services (``delegations.services``). The choices offered (tenants, partner accounts) come from scoped
selectors, so a form never offers what the user may not see.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.selectors import own_accounts_allowing
from tenants.selectors import tenants_visible_to

from .models import Scope
from .services.common import MAX_MESSAGE

SCOPE_HELP = {
    Scope.READ: _("View the tenant, its domains and services."),
    Scope.TECHNICAL: _(
        "Also configure domains and services, run checks, deploy (with the partner role tech)."
    ),
    Scope.FULL_TECHNICAL: _("Also add and end services that are not billable."),
}


def scope_choices() -> list[tuple[str, str]]:
    return [(value, f"{label} – {SCOPE_HELP[value]}") for value, label in Scope.choices]


def accounts_allowing(user, action: str, kind: str):
    """The user's own accounts of ``kind`` in which a role allows ``action`` (e.g. partner / request_caretaker)."""
    return own_accounts_allowing(user, action, kind)


def delegable_tenants(user):
    """Tenants of the customer accounts where the user may delegate (owners, admins), by account and number."""
    accounts = accounts_allowing(user, "delegate", "customer")
    return (
        tenants_visible_to(user)
        .filter(account__in=accounts)
        .select_related("account")
        .order_by("account__name", "number")
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PartnerAccountField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.identifier})"


class PartnerAskForm(forms.Form):
    """What a partner's ask (DEL-1 caretaker access, ACC-4 management) has in common: the scope and the partner
    account it acts for, a choice only when the user holds ``account_action`` in more than one."""

    account_action = ""
    scope = forms.ChoiceField(
        label=_("Scope"), choices=scope_choices, initial=Scope.TECHNICAL, widget=forms.RadioSelect
    )
    partner_account = PartnerAccountField(label=_("Acting for"), queryset=None, required=False)

    def __init__(self, *args, user, active_account=None, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = accounts_allowing(user, self.account_action, "partner")
        self.fields["partner_account"].queryset = accounts
        self.choose_account = accounts.count() > 1
        if self.choose_account:
            self.fields["partner_account"].required = True
            if active_account is not None and active_account.kind == "partner":
                self.fields["partner_account"].initial = active_account.pk
        else:
            self.fields["partner_account"].widget = forms.HiddenInput()


class CaretakerRequestForm(PartnerAskForm):
    """DEL-1: a partner's tech user asks for access to one tenant, by its number."""

    tenant_number = forms.CharField(
        label=_("Tenant number"),
        max_length=20,
        help_text=_("A single tenant, e.g. T-000123. Whole accounts or servers cannot be requested."),
        widget=forms.TextInput(attrs={"placeholder": "T-000123", "autocomplete": "off"}),
    )
    message = forms.CharField(
        label=_("Message to the owners"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    account_action = "request_caretaker"
    field_order = ["tenant_number", "scope", "message", "partner_account"]

    def clean_tenant_number(self) -> str:
        return self.cleaned_data["tenant_number"].strip().upper()


class TenantChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.number} {obj.name}"


class GrantForm(forms.Form):
    """DEL-2: a customer owner/admin grants a caretaker (by e-mail) access to one or more tenants."""

    email = forms.EmailField(label=_("Caretaker's e-mail"))
    tenants = TenantChoiceField(label=_("Tenants"), queryset=None)
    scope = forms.ChoiceField(
        label=_("Scope"), choices=scope_choices, initial=Scope.TECHNICAL, widget=forms.RadioSelect
    )
    expires_on = forms.DateField(
        label=_("Access ends after"),
        required=False,
        widget=DateInput(),
        help_text=_("Optional. The access ends at the end of this day; empty means until you revoke it."),
    )
    message = forms.CharField(
        label=_("Message to the caretaker"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["tenants"].queryset = delegable_tenants(user)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_expires_on(self):
        value = self.cleaned_data.get("expires_on")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("The expiry date must not be in the past."))
        return value

    def clean(self):
        cleaned = super().clean()
        tenants = cleaned.get("tenants")
        if tenants and len({t.account_id for t in tenants}) > 1:
            self.add_error("tenants", _("Choose tenants of one account; grant the others separately."))
        return cleaned

    def tenant_groups(self) -> list[tuple[str, list]]:
        """The tenant checkboxes grouped by account (a grant covers tenants of one account)."""
        checked = {str(v) for v in (self["tenants"].value() or [])}
        groups: dict[str, list] = {}
        for tenant in self.fields["tenants"].queryset:
            label = f"{tenant.account.name} ({tenant.account.identifier})"
            groups.setdefault(label, []).append((tenant, str(tenant.pk) in checked))
        return list(groups.items())


class AcceptForm(forms.Form):
    """The customer may set an expiry date when accepting a partner's request (DEL-4)."""

    expires_on = forms.DateField(label=_("Access ends after"), required=False, widget=DateInput())


class ExtendForm(forms.Form):
    """Extend by the default period (empty) or to a chosen later date (DEL-4)."""

    expires_on = forms.DateField(label=_("New end date"), required=False, widget=DateInput())


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 2})
    )


class SignUpForm(forms.Form):
    """DEL-2: a caretaker without a log-in signs up on the link page; the link proves the e-mail."""

    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class ManagementRequestForm(PartnerAskForm):
    """ACC-4: a partner (admin or sales) asks to manage a customer account."""

    customer_number = forms.CharField(
        label=_("Customer number"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "K-100001", "autocomplete": "off"}),
    )
    message = forms.CharField(
        label=_("Message to the owner"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    account_action = "request_management"
    field_order = ["customer_number", "scope", "message", "partner_account"]

    def clean_customer_number(self) -> str:
        return self.cleaned_data["customer_number"].strip().upper()


class NoticeForm(forms.Form):
    """ACC-4: vendor staff tell the partner before dissolving on the owner's behalf."""

    notice = forms.CharField(
        label=_("Notice to the partner"), max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 3})
    )
