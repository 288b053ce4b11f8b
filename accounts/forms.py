from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.mail import absolute, send_portal_mail

from .models import ROLES_BY_KIND, Role


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    error_messages = {
        "invalid_login": _("E-mail or password is wrong. Please check both and try again."),
        "inactive": _("This user is deactivated."),
    }


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), required=False, max_length=150)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), widget=forms.CheckboxSelectMultiple, choices=Role.choices
    )

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        if account is not None:
            allowed = ROLES_BY_KIND[account.kind]
            self.fields["roles"].choices = [(r, label) for r, label in Role.choices if r in allowed]


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), widget=forms.CheckboxSelectMultiple, choices=Role.choices
    )

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        if account is not None:
            allowed = ROLES_BY_KIND[account.kind]
            self.fields["roles"].choices = [(r, label) for r, label in Role.choices if r in allowed]


class AccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    contact_email = forms.EmailField(label=_("Contact e-mail"), required=False)
    street = forms.CharField(label=_("Street"), required=False, max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), required=False, max_length=20)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    country = forms.CharField(label=_("Country"), required=False, max_length=2)


class PortalPasswordResetForm(PasswordResetForm):
    """Django's reset form, but the mail is the portal's (portal.mail): the recipient's language, the link
    from SITE_URL, greeting and closing like every other mail."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        link = absolute(
            reverse("password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]})
        )
        send_portal_mail(
            to=to_email,
            language=user.language,
            subject=lambda: _("Set a new password"),
            template=email_template_name,
            context={**context, "link": link, "name": user.name},
        )


class OtpForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 12}
        ),
        help_text=_("The 6-digit code of your authenticator app, or one of your recovery codes."),
    )


class EraseForm(forms.Form):
    """LIC-12: the vendor admin types the account's number; the service compares it."""

    confirmation = forms.CharField(
        label=_("Customer number"),
        max_length=254,
        help_text=_("Type the customer number to confirm. The erasure cannot be undone."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
