"""Account pages: log-in, members (invite, roles, remove — rights ceiling applies), account profile.
Implements ACC-1..ACC-3, ACC-5 (related accounts), UI-1."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import access
from portal.clientip import client_ip
from portal.errors import DomainError, RateLimited
from portal.forms import form_error
from portal.middleware import ACCOUNT_SESSION_KEY

from . import erasure, invitations, selectors, services, tokens, twofactor
from .forms import AccountForm, EraseForm, InviteForm, LoginForm, OtpForm, RolesForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # ACC-2: the user's preferred language applies from log-in on.
        language = self.request.user.language
        translation.activate(language)
        if twofactor.needs_verification(self.request):
            # Issue 10: the password was right; the second factor comes next, before anything else.
            target = "two_factor_verify" if twofactor.has_device(self.request.user) else "two_factor_setup"
            response = redirect(f"{reverse(target)}?{urlencode({'next': self.get_success_url()})}")
        response.set_cookie("django_language", language, max_age=365 * 24 * 3600, samesite="Lax")
        return response


def _safe_next(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return fallback
    return target


@login_required
def two_factor_verify(request):
    """The second log-in step: the authenticator app's code, or a recovery code (issue 10)."""
    if twofactor.is_verified(request):
        return redirect(_safe_next(request))
    if not twofactor.has_device(request.user):
        return redirect("two_factor_setup")
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST":
        device = twofactor.verify(request.user, request.POST.get("code", "")) if form.is_valid() else None
        if device is not None:
            twofactor.mark_verified(request, device)
            return redirect(_safe_next(request))
        form.add_error(
            "code", _("The code is wrong or was used already. Wait for the next code and try again.")
        )
        status = 400
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _safe_next(request, "")},
        status=status,
    )


@login_required
def two_factor_setup(request):
    """Enrolment: scan the QR code (or type the key), confirm with a code, keep the recovery codes."""
    user = request.user
    if twofactor.has_device(user) and not twofactor.is_verified(request):
        return redirect("two_factor_verify")
    device = twofactor.pending_totp_device(user)
    form = OtpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = twofactor.confirm_totp(user=user, code=form.cleaned_data["code"])
        except DomainError as exc:
            form_error(request, form, exc)
            status = exc.status_code
        else:
            device.refresh_from_db()
            twofactor.mark_verified(request, device)
            messages.success(request, _("Two-factor authentication is on."))
            return render(
                request, "accounts/recovery_codes.html", {"codes": codes, "next": _safe_next(request, "")}
            )
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr": twofactor.qr_svg(device),
            "secret": twofactor.secret_of(device),
            "required": twofactor.is_required(user),
            "next": _safe_next(request, ""),
        },
        status=status,
    )


@login_required
@require_POST
def recovery_codes_renew(request):
    try:
        codes = twofactor.regenerate_recovery_codes(user=request.user)
    except DomainError as exc:
        form_error(request, None, exc)
        return redirect("profile")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": ""})


@login_required
@require_POST
def two_factor_disable(request):
    try:
        twofactor.disable_two_factor(user=request.user)
    except DomainError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("Two-factor authentication is off."))
    return redirect("profile")


@login_required
@require_POST
def api_token_create(request):
    try:
        token, raw = tokens.issue_api_token(user=request.user, via="session")
    except DomainError as exc:
        form_error(request, None, exc)
        return redirect("profile")
    return render(request, "accounts/profile.html", {**_profile_context(request), "new_token": raw})


@login_required
@require_POST
def api_token_revoke(request, token_key):
    try:
        tokens.revoke_api_token(actor=request.user, token_key=token_key)
    except DomainError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("The token was revoked."))
    return redirect("profile")


@login_required
@require_POST
def log_out_everywhere(request):
    """End every session (this one too) and every API token of the user."""
    tokens.log_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("You were logged out everywhere; every API token was revoked."))
    return redirect("login")


class PasswordResetView(auth_views.PasswordResetView):
    """UI-1 password reset, rate-limited per typed address and per client address (issue 10). The answer
    for a known and an unknown address is the same redirect; a refusal names the wait (429, Retry-After)."""

    def form_valid(self, form):
        try:
            services.throttle_password_reset(
                email=form.cleaned_data["email"], client_address=client_ip(self.request)
            )
        except RateLimited as exc:
            form_error(self.request, form, exc)
            response = self.form_invalid(form)
            response.status_code = exc.status_code
            return response
        return super().form_valid(form)


def _account_or_404(request, number):
    return get_object_or_404(selectors.by_url_key(selectors.accounts_visible_to(request.user), number))


@login_required
def account_list(request):
    accounts = selectors.accounts_visible_to(request.user).order_by("kind", "name")
    return render(request, "accounts/list.html", {"accounts": accounts[:500]})


@login_required
def account_detail(request, number):
    account = _account_or_404(request, number)
    may = access.rights(request.user, account)
    context = {
        "account": account,
        "members": selectors.members_of(request.user, account),  # each with is_last_owner (ACC-2)
        "can_manage": "manage_members" in may,
        "can_change": "change" in may,
        "can_erase": "erase" in may and account.anonymized_at is None and not account.is_vendor,
        "grantable": selectors.grantable_roles(request.user, account) if "manage_members" in may else set(),
        "invite_form": InviteForm(account=account),
        "pending_invitations": invitations.invitations_for(request.user, pending_only=True).filter(
            account=account
        )
        if "manage_members" in may
        else [],
        "related": selectors.related_accounts(request.user, account),
        "tenants": selectors.tenants_of_account(request.user, account)[:100],
    }
    return render(request, "accounts/detail.html", context)


@login_required
def account_edit(request, number):
    account = _account_or_404(request, number)
    access.require(request.user, "change", account)
    form = AccountForm(
        request.POST or None, initial={f: getattr(account, f) for f in AccountForm.base_fields}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_account(actor=request.user, account=account, **form.cleaned_data)
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(request, _("Account saved."))
            return redirect("account_detail", number=account.url_key)
    return render(request, "accounts/edit.html", {"account": account, "form": form})


@login_required
def account_erase(request, number):
    """LIC-12: vendor admins erase an account's personal data after typing its number (irreversible)."""
    account = _account_or_404(request, number)
    access.require(request.user, "erase", account)
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            counts = erasure.erase_account(
                actor=request.user, account=account, confirmation=form.cleaned_data["confirmation"]
            )
        except DomainError as exc:
            form_error(request, form, exc)
        else:
            messages.success(
                request,
                _(
                    "Personal data erased: the account and %(n)d member(s) now carry pseudonyms. This cannot be undone."
                )
                % {"n": counts["members_erased"]},
            )
            return redirect("account_detail", number=account.url_key)
    return render(request, "accounts/erase.html", {"account": account, "form": form})


@login_required
@require_POST
def member_invite(request, number):
    account = _account_or_404(request, number)
    form = InviteForm(request.POST, account=account)
    if form.is_valid():
        try:
            services.invite_member(actor=request.user, account=account, **form.cleaned_data)
        except DomainError as exc:
            form_error(request, None, exc)
        else:
            messages.success(request, _("%(email)s was invited.") % {"email": form.cleaned_data["email"]})
    else:
        messages.error(
            request,
            _("Please check the invitation: %(errors)s")
            % {"errors": "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())},
        )
    return redirect("account_detail", number=account.url_key)


def _member(request, account, user_id):
    member = next(
        (m for m in selectors.members_of(request.user, account) if m["user"].pk == int(user_id)), None
    )
    if member is None:
        from django.http import Http404

        raise Http404
    return member


@login_required
@require_POST
def member_roles(request, number, user_id):
    account = _account_or_404(request, number)
    member = _member(request, account, user_id)
    form = RolesForm(request.POST, account=account)
    if form.is_valid():
        try:
            services.change_roles(
                actor=request.user, account=account, user=member["user"], roles=form.cleaned_data["roles"]
            )
        except DomainError as exc:
            form_error(request, None, exc)
        else:
            messages.success(request, _("Roles of %(email)s saved.") % {"email": member["user"].email})
    else:
        messages.error(request, _("Choose at least one role."))
    return redirect("account_detail", number=account.url_key)


@login_required
@require_POST
def member_remove(request, number, user_id):
    account = _account_or_404(request, number)
    member = _member(request, account, user_id)
    try:
        services.remove_member(actor=request.user, account=account, user=member["user"])
    except DomainError as exc:
        form_error(request, None, exc)
    else:
        messages.success(request, _("%(email)s was removed.") % {"email": member["user"].email})
    return redirect("account_detail", number=account.url_key)


def _profile_context(request) -> dict:
    user = request.user
    return {
        "accounts": selectors.accounts_of(user),
        "memberships": selectors.memberships_of(user),
        "api_tokens": selectors.api_tokens_of(user),
        "two_factor_on": twofactor.has_device(user),
        "two_factor_required": twofactor.is_required(user),
        "recovery_codes_left": twofactor.recovery_codes_left(user),
        "invitations": invitations.my_pending_invitations(user),
    }


@login_required
def profile(request):
    """The user's accounts with the roles held in each (ACC-2) — what the 403 page points to — API tokens,
    two-factor and open invitations (issue 10)."""
    return render(request, "accounts/profile.html", _profile_context(request))


# --- Consent to membership (ACC-6, issue 10) -------------------------------------------------------------------


@login_required
def invitation_list(request):
    """The user's own open invitations (accept or decline)."""
    return render(
        request,
        "accounts/invitations.html",
        {"invitations": invitations.my_pending_invitations(request.user)},
    )


@login_required
def invitation_detail(request, pk: int):
    """What an invitation offers; POST ``decision=accept|decline``. Opening it changes nothing."""
    try:
        invitation = invitations.invitation_for(request.user, pk)
    except DomainError as exc:
        raise Http404 from exc
    status = 200
    if request.method == "POST":
        decision = request.POST.get("decision")
        service = {"accept": invitations.accept_invitation, "decline": invitations.decline_invitation}.get(
            decision
        )
        if service is None:
            return redirect("invitation_detail", pk=pk)
        if (
            decision == "accept"
            and not request.session.get(ACCOUNT_SESSION_KEY)
            and request.account is not None
        ):
            # The account the user works in stays the active one: joining another does not switch it.
            request.session[ACCOUNT_SESSION_KEY] = request.account.number or str(request.account.pk)
        try:
            service(actor=request.user, invitation=invitation)
        except DomainError as exc:
            form_error(request, None, exc)
            status = exc.status_code
        else:
            if decision == "accept":
                messages.success(
                    request, _("You are now a member of %(account)s.") % {"account": invitation.account.name}
                )
                return redirect("account_detail", number=invitation.account.url_key)
            messages.success(request, _("Invitation declined."))
            return redirect("invitation_list")
        invitation = invitations.invitation_for(request.user, pk)
    return render(
        request,
        "accounts/invitation_detail.html",
        {"invitation": invitation, "mine": invitation.user_id == request.user.pk},
        status=status,
    )


# --- The account switcher and the language (ACC-2) ---------------------------------------------------


def _next_url(request, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or fallback
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return fallback
    return target


@login_required
@require_POST
def invitation_withdraw(request, pk: int):
    try:
        invitation = invitations.invitation_for(request.user, pk)
        invitations.withdraw_invitation(actor=request.user, invitation=invitation)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404 from exc
        form_error(request, None, exc)
        return redirect("invitation_list")
    messages.success(request, _("Invitation withdrawn."))
    return redirect("account_detail", number=invitation.account.url_key)


@login_required
@require_POST
def switch_account(request):
    account = selectors.accounts_of(request.user).filter(pk=request.POST.get("account")).first()
    if account is not None:
        request.session[ACCOUNT_SESSION_KEY] = account.number or str(account.pk)
    return redirect("dashboard")


@require_POST
def set_language(request):
    """Switch the UI language; for a logged-in user it is also stored as preferred language (ACC-2)."""
    language = request.POST.get("language", "de")
    if language not in ("de", "en"):
        language = "de"
    if request.user.is_authenticated:
        services.set_language(user=request.user, language=language)
    translation.activate(language)
    response = HttpResponseRedirect(translate_url(_next_url(request), language))
    from django.conf import settings

    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax")
    return response
