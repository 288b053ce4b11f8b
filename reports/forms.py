from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DestinationKind


class DestinationForm(forms.Form):
    account = forms.ModelChoiceField(queryset=None, label=_("Account"), required=True)
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=DestinationKind.choices)
    url = forms.URLField(label=_("Webhook URL"), required=False, max_length=500, assume_scheme="https")
    email = forms.EmailField(label=_("E-mail"), required=False)
    send_licenses = forms.BooleanField(label=_("New licences daily"), required=False, initial=True)
    send_statement = forms.BooleanField(label=_("Statement on the 1st"), required=False, initial=True)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, accounts=None, **kwargs):
        super().__init__(*args, **kwargs)
        if accounts is None:
            del self.fields["account"]
        else:
            self.fields["account"].queryset = accounts
            if accounts.count() == 1:
                self.fields["account"].initial = accounts.first()
