"""Forms of the tenant pages (UI-1). Implements the input side of TEN-3 (new tenant, new customer), TEN-4
(domain name, confidential flag), TEN-6/TEN-8 (discount and its reason), TEN-7 (book, end, deploy, offer).

Forms only check the shape of the input (types, lengths, required fields); every business rule — FQDN
validity, dependencies, end dates, discount reasons, rights — is the services' job, whose DomainErrors the
views put back on these forms with ``portal.forms.form_error``.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DiscountReason, Environment


class TenantCreateForm(forms.Form):
    """TEN-7 "new tenant" for a partner's sales staff: for a customer the partner manages, or a new one."""

    EXISTING, NEW = "existing", "new"

    partner = forms.ModelChoiceField(queryset=None, label=_("Partner"), empty_label=None)
    customer_choice = forms.ChoiceField(
        label=_("Customer"),
        choices=[(EXISTING, _("A customer we manage")), (NEW, _("A new customer"))],
        widget=forms.RadioSelect,
        initial=EXISTING,
    )
    customer = forms.ModelChoiceField(
        queryset=None, label=_("Customer account"), required=False, empty_label=_("– choose a customer –")
    )
    customer_name = forms.CharField(label=_("Company name"), required=False, max_length=200)
    contact_email = forms.EmailField(
        label=_("Contact e-mail"),
        required=False,
        help_text=_("The contact receives an invitation to become the owner of the new customer account."),
    )
    name = forms.CharField(label=_("Tenant name"), max_length=200)
    environment = forms.ChoiceField(
        label=_("Environment"), choices=Environment.choices, initial=Environment.PRODUCTION
    )

    def __init__(self, *args, partners, customers, **kwargs):
        super().__init__(*args, **kwargs)
        # ``partners`` and ``customers`` are the authority's answers (selectors.reseller_partners,
        # selectors.customers_for_new_tenants), querysets the choice fields validate against.
        self.fields["partner"].queryset = partners
        self.fields["customer"].queryset = customers
        if len(partners) == 1:
            self.fields["partner"].widget = forms.HiddenInput()
            self.fields["partner"].initial = partners[0].pk

    def clean(self):
        data = super().clean()
        if data.get("customer_choice") == self.NEW:
            if not (data.get("customer_name") or "").strip():
                self.add_error("customer_name", _("Enter the new customer's company name."))
            if not data.get("contact_email") and "contact_email" not in self.errors:
                self.add_error("contact_email", _("Enter the contact e-mail of the new customer."))
        elif (
            data.get("customer_choice") == self.EXISTING
            and not data.get("customer")
            and "customer" not in self.errors
        ):
            self.add_error("customer", _("Choose one of your customers, or create a new one."))
        return data


class ServiceChoiceMixin:
    """A ``service_types`` multiple choice over catalogue codes (base service excluded: always booked)."""

    def _set_service_choices(self, service_types):
        self.fields["service_types"].choices = [
            (service_type.code, service_type.name) for service_type in service_types
        ]


class DomainAddForm(ServiceChoiceMixin, forms.Form):
    """TEN-7 add domain: guided (domain + chosen services) or expert (base service only, confidential)."""

    name = forms.CharField(
        label=_("Domain"),
        max_length=300,
        widget=forms.TextInput(
            attrs={"placeholder": "example.com", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    service_types = forms.MultipleChoiceField(
        label=_("Services"), required=False, widget=forms.CheckboxSelectMultiple
    )
    add_dependencies = forms.BooleanField(label=_("Also book the services these need"), required=False)
    confidential = forms.BooleanField(
        label=_("Confidential"),
        required=False,
        help_text=_("The name is shown masked (••••.example.com) to everyone without the right to see it."),
    )

    def __init__(self, *args, service_types=(), expert=False, may_mark_confidential=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.expert = expert
        self._set_service_choices(service_types)
        if expert:
            del self.fields["service_types"]
            del self.fields["add_dependencies"]
        if not (expert and may_mark_confidential):
            del self.fields["confidential"]


class BookServicesForm(ServiceChoiceMixin, forms.Form):
    """TEN-7 add services (overlay listing the catalogue)."""

    service_types = forms.MultipleChoiceField(label=_("Services"), widget=forms.CheckboxSelectMultiple)
    add_dependencies = forms.BooleanField(label=_("Also book the services these need"), required=False)

    def __init__(self, *args, service_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_service_choices(service_types)
        self.fields["service_types"].error_messages["required"] = _("Choose at least one service.")


class EndServiceForm(forms.Form):
    """TEN-7 end a service: which one, the end date (default: end of month, earliest tomorrow), confirmation."""

    service = forms.TypedChoiceField(label=_("Service"), coerce=int)
    end_date = forms.DateField(
        label=_("End of billing"),
        required=False,
        widget=forms.DateInput(
            attrs={"type": "date", "aria-describedby": "end-date-help"}, format="%Y-%m-%d"
        ),
    )
    confirm = forms.BooleanField(label=_("Yes, end these services together"), required=False)

    def __init__(self, *args, services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [
            (service.pk, f"{service.number} · {service.service_type.name}") for service in services
        ]


class DiscountForm(forms.Form):
    """TEN-6/TEN-8: a discount of 0–100 % with its reason (nfr, test or a text of one's own)."""

    OTHER = "other"

    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), min_value=Decimal(0), max_value=Decimal(100), decimal_places=2, max_digits=5
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", "—"), *DiscountReason.choices, (OTHER, _("Other reason"))],
    )
    reason_text = forms.CharField(label=_("Other reason"), required=False, max_length=200)

    @classmethod
    def initial_for(cls, service) -> dict:
        reason = service.discount_reason
        known = reason in DiscountReason.values
        return {
            "discount_percent": service.discount_percent,
            "reason": reason if known or not reason else cls.OTHER,
            "reason_text": "" if known else reason,
        }

    def reason_value(self) -> str:
        choice = self.cleaned_data.get("reason") or ""
        return (self.cleaned_data.get("reason_text") or "").strip() if choice == self.OTHER else choice


class RegisteredUserForm(forms.Form):
    # A CharField: the service validates (TEN-4: on a masked domain the mailbox is ``local@••••.example``
    # or just ``local``, which no e-mail validator accepts).
    email = forms.CharField(
        label=_("E-mail"), max_length=254, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    name = forms.CharField(label=_("Name"), required=False, max_length=150)


class ConfirmForm(forms.Form):
    """A confirmation without fields (deploy): holds the service's error, if any."""


class ConfidentialForm(forms.Form):
    confidential = forms.BooleanField(required=False)


class OfferForm(forms.Form):
    """TEN-7 create offer: the header; the lines are OfferLineForms, one per catalogue service."""

    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    valid_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=365, initial=30)
    add_dependencies = forms.BooleanField(
        label=_("Add the services the chosen ones need"), required=False, initial=True
    )


class OfferLineForm(forms.Form):
    """One catalogue service in the offer form; only lines with ``include`` become offer lines."""

    service_type = forms.CharField(widget=forms.HiddenInput)
    include = forms.BooleanField(required=False)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000, initial=1)
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"),
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        max_digits=5,
    )
    discount_reason = forms.CharField(label=_("Reason"), required=False, max_length=200)


OfferLineFormSet = forms.formset_factory(OfferLineForm, extra=0)
