"""factory_boy factories for accounts (HackSoft styleguide_example/users/tests/factories.py).

Memberships and partner role groups are written through the services so the guardian groups stay in sync.
"""

from __future__ import annotations

import factory

from accounts import services
from accounts.models import Account, AccountKind, AccountPurpose, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name", locale="de_DE")
    language = "de"
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        skip_postgeneration_save = True

    number = factory.Sequence(lambda n: f"K-{500000 + n}")
    name = factory.Faker("company", locale="de_DE")
    kind = AccountKind.CUSTOMER
    purpose = AccountPurpose.PRODUCTION
    contact_email = factory.Sequence(lambda n: f"contact{n}@company{n}.example")


class PartnerAccountFactory(AccountFactory):
    kind = AccountKind.PARTNER


class VendorAccountFactory(AccountFactory):
    kind = AccountKind.VENDOR


class StagingAccountFactory(AccountFactory):
    number = ""
    purpose = AccountPurpose.STAGING
    leading_account = factory.SubFactory(AccountFactory)


def member(account: Account, *roles: str, user: User | None = None, **user_fields) -> User:
    """A user holding ``roles`` in ``account`` (created if not given)."""
    user = user or UserFactory(**user_fields)
    services.add_membership(account=account, user=user, roles=list(roles))
    from portal import access

    access.forget(user)
    return user
