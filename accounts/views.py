"""Account pages: log-in, members (invite, roles, remove — rights ceiling applies), account profile.
Implements ACC-1..ACC-3, ACC-5 (related accounts), UI-1."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal import access
from portal.errors import DomainError
from portal.forms import form_error
from portal.middleware import ACCOUNT_SESSION_KEY

from . import selectors, services
from .forms import AccountForm, InviteForm, LoginForm, RolesForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # ACC-2: the user's preferred language applies from log-in on.
        language = self.request.user.language
        translation.activate(language)
        response.set_cookie("django_language", language, max_age=365 * 24 * 3600, samesite="Lax")
        return response


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
        "members": selectors.members_of(request.user, account),
        "can_manage": "manage_members" in may,
        "can_change": "change" in may,
        "grantable": selectors.grantable_roles(request.user, account) if "manage_members" in may else set(),
        "invite_form": InviteForm(account=account),
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


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"accounts": selectors.accounts_of(request.user)})


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
