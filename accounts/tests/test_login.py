"""Log-in, lock-out, language and password reset in the browser (UI-1, ACC-2)."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.models import User
from accounts.tests.factories import AccountFactory, member

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"  # accounts.tests.factories.UserFactory's


@pytest.fixture
def owner():
    return member(AccountFactory(), "owner", email="owner@shop.example")


def _login(client, email, password):
    return client.post("/login/", {"username": email, "password": password})


def test_ui1_wrong_password_shows_a_clear_error(client, owner):
    response = _login(client, "owner@shop.example", "wrong")
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["__all__"]
    assert [error.code for error in errors] == ["invalid_login"]
    message = response.context["form"].non_field_errors()[0]
    assert message in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_ui1_correct_login_redirects_to_the_dashboard(client, owner):
    response = _login(client, "owner@shop.example", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_ui1_axes_locks_out_after_the_failure_limit(client, owner, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _login(client, "owner@shop.example", "wrong")
        assert response.status_code == 200
        assert "registration/locked_out.html" not in [t.name for t in response.templates]
    locked = _login(client, "owner@shop.example", "wrong")
    assert "registration/locked_out.html" in [t.name for t in locked.templates]
    assert locked.status_code in (403, 429)
    # Locked out, even the right password does not get in.
    again = _login(client, "owner@shop.example", PASSWORD)
    assert "registration/locked_out.html" in [t.name for t in again.templates]
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked (lock-out is per user and address).
    member(AccountFactory(), "owner", email="other@shop.example")
    assert _login(client, "other@shop.example", PASSWORD).status_code == 302


@pytest.mark.parametrize("language", ["en", "de"])
def test_acc2_preferred_language_applies_at_login(client, owner, language):
    owner.language = language
    owner.save(update_fields=["language"])
    response = _login(client, "owner@shop.example", PASSWORD)
    assert response.status_code == 302
    assert response.cookies["django_language"].value == language
    page = client.get("/")
    assert page["Content-Language"] == language
    assert f'<html lang="{language}">' in page.content.decode()


def test_acc2_language_switch_stores_the_preference(client, owner):
    client.force_login(owner)
    response = client.post("/language/", {"language": "en", "next": "/tenants/"})
    assert response.status_code == 302
    assert response["Location"] == "/tenants/"
    assert response.cookies["django_language"].value == "en"
    assert User.objects.get(pk=owner.pk).language == "en"
    assert client.get("/tenants/")["Content-Language"] == "en"
    # The preference survives a new session.
    client.logout()
    _login(client, "owner@shop.example", PASSWORD)
    assert client.get("/")["Content-Language"] == "en"
    # Unknown languages fall back to German; foreign redirect targets are ignored.
    response = client.post("/language/", {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert User.objects.get(pk=owner.pk).language == "de"


def test_ui1_password_reset_mail_sets_a_new_password(client, owner):
    response = client.post("/password-reset/", {"email": "Owner@Shop.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@shop.example"]
    link = re.search(r"https?://[^/\s]+(/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "N3w-secret-pass!", "new_password2": "N3w-secret-pass!"}
    )
    assert done.status_code == 302
    assert User.objects.get(pk=owner.pk).check_password("N3w-secret-pass!")
    assert _login(client, "owner@shop.example", "N3w-secret-pass!").status_code == 302


def test_ui1_password_reset_does_not_reveal_unknown_addresses(client, owner):
    response = client.post("/password-reset/", {"email": "nobody@shop.example"})
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []
