"""Licence forms (UI-1). Choices come from the views (selectors); the rules are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Kind, Term


class IssueForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=None, to_field_name="article_number")
    kind = forms.ChoiceField(label=_("Licence kind"), choices=Kind.choices)
    holder = forms.ModelChoiceField(label=_("Customer"), queryset=None, to_field_name="pk")
    quantity = forms.IntegerField(label=_("Machines"), min_value=1, max_value=10_000, initial=1)
    demo_days = forms.IntegerField(
        label=_("Demo days"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Only for demo licences; empty for the group's default."),
    )
    term = forms.ChoiceField(
        label=_("Term"),
        choices=[("", "–"), *Term.choices],
        required=False,
        help_text=_("Only for subscriptions."),
    )

    def __init__(self, *args, products, holders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["holder"].queryset = holders
        self.fields["holder"].label_from_instance = lambda account: f"{account.identifier} {account.name}"


class SwapForm(forms.Form):
    product = forms.ModelChoiceField(label=_("New product"), queryset=None, to_field_name="article_number")
    term = forms.ChoiceField(label=_("Term"), choices=[("", _("unchanged")), *Term.choices], required=False)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products


class AssignForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("Member"), queryset=None, required=False, empty_label=_("nobody (take back)")
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = members
        self.fields["user"].label_from_instance = lambda user: (
            f"{user.name} <{user.email}>" if user.name else user.email
        )


class FingerprintForm(forms.Form):
    fingerprint = forms.CharField(label=_("Machine fingerprint"), max_length=200)


class MoveForm(forms.Form):
    from_fingerprint = forms.CharField(label=_("From machine"), max_length=200)
    to_fingerprint = forms.CharField(label=_("To machine"), max_length=200)


class RestoreForm(forms.Form):
    fingerprint = forms.CharField(label=_("New machine (optional)"), max_length=200, required=False)


class AuthorizeForm(forms.Form):
    reseller = forms.ModelChoiceField(label=_("Reseller"), queryset=None)
    group = forms.ModelChoiceField(label=_("Product group"), queryset=None)
    kinds = forms.MultipleChoiceField(
        label=_("Licence kinds"), choices=Kind.choices, widget=forms.CheckboxSelectMultiple
    )
    max_demo_days = forms.IntegerField(label=_("Max. demo days"), min_value=1, max_value=3650, initial=30)
    terms = forms.MultipleChoiceField(
        label=_("Terms"), choices=Term.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, partners, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reseller"].queryset = partners
        self.fields["reseller"].label_from_instance = lambda account: f"{account.identifier} {account.name}"
        self.fields["group"].queryset = groups
