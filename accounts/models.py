"""Users, accounts and memberships. Implements ACC-1, ACC-2 (ACC-3 lives in services)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, StrIndex, Substr
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from portal.fields import actor_field


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)

    def _create(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


def new_security_stamp() -> str:
    return secrets.token_hex(16)


class Language(models.TextChoices):
    DE = "de", "Deutsch"
    EN = "en", "English"


class User(AbstractBaseUser, PermissionsMixin):
    """E-mail is the log-in, unique without regard to case (ACC-2)."""

    email = models.EmailField(_("e-mail"), max_length=254)
    name = models.CharField(_("name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.DE)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Part of every session's hash: replacing it logs the user out everywhere (issue 10, accounts.tokens).
    security_stamp = models.CharField(
        _("security stamp"), max_length=32, default=new_security_stamp, editable=False
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        # set_password() keeps the raw password until the save; a changed password ends every API token
        # (password change, reset, admin) — sessions end by themselves: their hash covers the password.
        password_changed = self._password is not None and self.pk is not None
        super().save(*args, **kwargs)
        if password_changed:
            from accounts.tokens import revoke_all_api_tokens

            revoke_all_api_tokens(user=self, reason="password_changed")

    def _get_session_auth_hash(self, secret=None):
        """Django's session hash over the password *and* the security stamp (log out everywhere)."""
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.security_stamp}", secret=secret, algorithm="sha256"
        ).hexdigest()

    def has_perm(self, perm, obj=None):
        """Object permissions are the access authority's answer, for superusers too (issue 8: one rule, one
        answer); model permissions (the admin) stay Django's."""
        if obj is not None:
            from portal import access

            return self.is_active and access.has_perm(self, perm, obj)
        return super().has_perm(perm, obj)

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]


class AccountKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    PARTNER = "partner", _("Partner")
    VENDOR = "vendor", _("Vendor")


class AccountPurpose(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    SIMULATION = "simulation", _("Simulation")


class Account(models.Model):
    """Customer account ("Kundenkonto"): the legal and commercial party (ACC-1)."""

    number = models.CharField(_("customer number"), max_length=20, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=10, choices=AccountKind.choices, default=AccountKind.CUSTOMER
    )
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=AccountPurpose.choices, default=AccountPurpose.PRODUCTION
    )
    leading_account = models.ForeignKey(
        "self",
        verbose_name=_("leading account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dependent_accounts",
    )
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    # ACC-5, SUP-5: the contact e-mail's domain as an indexed column computed by the database, so "accounts of
    # this e-mail domain" is one index lookup at 100,000 accounts (never a LIKE '%@domain' scan).
    contact_domain = models.GeneratedField(
        expression=Lower(Substr("contact_email", StrIndex("contact_email", models.Value("@")) + 1)),
        output_field=models.CharField(max_length=254),
        db_persist=True,
        verbose_name=_("e-mail domain"),
    )
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="DE")
    # The partner that created this customer account as reseller (TEN-3, LIC-2).
    reseller = models.ForeignKey(
        "self",
        verbose_name=_("created by partner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resold_accounts",
    )
    anonymized_at = models.DateTimeField(_("anonymized"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["number", "name"]
        constraints = [
            models.UniqueConstraint(fields=["number"], condition=~Q(number=""), name="account_number_unique"),
            models.CheckConstraint(
                condition=~Q(number="") | Q(purpose__in=["staging", "simulation"]),
                name="account_number_required_for_production",
                violation_error_message=_(
                    "Only staging and simulation accounts may have no customer number."
                ),
            ),
            models.CheckConstraint(
                condition=(Q(purpose="production") & Q(leading_account__isnull=True))
                | (Q(purpose__in=["staging", "simulation"]) & Q(leading_account__isnull=False)),
                name="account_leading_account_iff_not_production",
                violation_error_message=_(
                    "Staging and simulation accounts need a leading production account; "
                    "production accounts have none."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(leading_account=models.F("pk")), name="account_not_its_own_leading_account"
            ),
            models.CheckConstraint(
                condition=~Q(number="") | ~Q(contact_email=""),
                name="account_without_number_has_email",
                violation_error_message=_(
                    "An account without a customer number is identified by its e-mail."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["contact_email"]),
            models.Index(fields=["contact_domain"], name="account_contact_domain_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}" if self.number else f"{self.name} <{self.contact_email}>"

    def audit_scope(self) -> tuple[int, None]:
        """Events on an account join its trail (portal.audit)."""
        return self.pk, None

    @property
    def identifier(self) -> str:
        """Number, or the contact e-mail for number-less staging/simulation accounts (SUP-4)."""
        return self.number or self.contact_email

    @property
    def url_key(self) -> str:
        """How URLs name the account: its number, or ``~<id>`` for number-less staging/simulation accounts."""
        return self.number or f"~{self.pk}"

    @property
    def email_domain(self) -> str:
        return self.contact_email.rsplit("@", 1)[-1].lower() if "@" in self.contact_email else ""

    @property
    def is_partner(self) -> bool:
        return self.kind == AccountKind.PARTNER

    @property
    def is_vendor(self) -> bool:
        return self.kind == AccountKind.VENDOR


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    BILLING = "billing", _("Billing")
    TECHNICAL = "technical", _("Technical")
    MEMBER = "member", _("Member")
    SALES = "sales", _("Sales")
    SUPPORT = "support", _("Support")
    TECH = "tech", _("Tech")


ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    AccountKind.CUSTOMER: (Role.OWNER, Role.ADMIN, Role.BILLING, Role.TECHNICAL, Role.MEMBER),
    AccountKind.PARTNER: (Role.ADMIN, Role.SALES, Role.SUPPORT, Role.TECH),
    AccountKind.VENDOR: (Role.ADMIN, Role.SUPPORT),
}


class Membership(models.Model):
    """One role of one user in one account; roles combine by having several rows (ACC-2)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("account")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created"))

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["account", "user", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account", "role"], name="membership_unique_role"),
        ]
        indexes = [models.Index(fields=["account", "role"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account.identifier}: {self.role}"


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class MembershipInvitation(models.Model):
    """An existing user asked to join an account (ACC-6: existing users join only by accepting; issue 10).

    Until the user accepts nothing changes for them: no membership, no rights, no other active account. A
    new user instead gets the membership with the set-your-password mail (sign-up by invitation, ACC-2).
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("account")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership_invitations",
        verbose_name=_("user"),
    )
    roles = models.JSONField(_("roles"), default=list)
    invited_by = actor_field(_("invited by"))
    # The partner that asked, when a partner's sales user created the account for an existing contact.
    acting_account = models.ForeignKey(
        Account,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acting account"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("valid until"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership invitation")
        verbose_name_plural = _("membership invitations")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user"], condition=Q(status="pending"), name="one_pending_invitation"
            ),
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.account.identifier} ({self.status})"

    @property
    def is_expired(self) -> bool:
        return self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now()

    @property
    def effective_status(self) -> str:
        return "expired" if self.is_expired else self.status

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in sorted(self.roles) if role in Role.values]


class ApiToken(AuthToken):
    """An API token (django-rest-knox: only a digest is stored; every token expires after
    ``API_TOKEN_TTL_HOURS``). Listed and revoked on the profile page and under /api/v1/auth/tokens/; all of a
    user's tokens end on a password change or reset and on "log out everywhere" (accounts.tokens)."""

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.token_key}…"

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()
