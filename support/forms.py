"""Support forms (UI-1): shapes only; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountPurpose


class TicketForm(forms.Form):
    account = forms.ChoiceField(label=_("Account the ticket is about"))
    tenant = forms.ChoiceField(label=_("Tenant (optional)"), required=False)
    category = forms.ChoiceField(label=_("Category"))
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 6}))
    accept_billable = forms.BooleanField(
        label=_("I understand that this category is not covered and the work is billable."), required=False
    )

    def __init__(self, *args, accounts=(), tenants=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(a.url_key, str(a)) for a in accounts]
        self.fields["tenant"].choices = [("", "–")] + [
            (t.number, f"{t.number} {t.name} ({t.account.identifier})") for t in tenants
        ]
        self.fields["category"].choices = [
            (c.code, f"{c.name} — {_('billable') if c.billable else _('covered')}") for c in categories
        ]
        self.billable_codes = [c.code for c in categories if c.billable]


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 4}))


class StagingAccountForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[(AccountPurpose.STAGING, _("Staging")), (AccountPurpose.SIMULATION, _("Simulation"))],
        widget=forms.RadioSelect,
        initial=AccountPurpose.STAGING,
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"))


class ContractForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: open end."),
    )
    technical_contact = forms.ChoiceField(label=_("Central technical contact"), required=False)
    system_administrator = forms.ChoiceField(label=_("System administrator"), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members=(), kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds
        people = [("", "–")] + [(str(u.pk), u.email) for u in members]
        self.fields["technical_contact"].choices = people
        self.fields["system_administrator"].choices = people


class ResolveLinkForm(forms.Form):
    account = forms.ChoiceField(label=_("The one account of the tenant"), widget=forms.RadioSelect)

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(str(a.pk), str(a)) for a in accounts]
