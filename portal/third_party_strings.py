"""Admin labels of installed packages that ship no German for them (UI-2: every model name and field translated).

Never imported: ``makemessages`` reads these markers so the strings stay in ``locale/de``; the project's
catalogue (LOCALE_PATHS) takes precedence over the packages' own.
"""

from django.utils.translation import gettext_noop

STRINGS = [
    gettext_noop("Session key hash (sha256)"),  # django-axes
    gettext_noop("Exchange"),  # django-celery-beat
    gettext_noop("Task Name"),
    gettext_noop("Token"),  # rest_framework.authtoken
    gettext_noop("Tokens"),
    gettext_noop("permission"),  # django-guardian's object-permission models
    gettext_noop("user"),
    gettext_noop("group"),
    gettext_noop("TOTP device"),  # django-otp's device models
    gettext_noop("TOTP devices"),
    gettext_noop("confirmed"),
    gettext_noop("throttling failure timestamp"),
    gettext_noop("throttling failure count"),
    gettext_noop("created at"),
    gettext_noop("last used at"),
    gettext_noop("step"),
    gettext_noop("t0"),
    gettext_noop("digits"),
    gettext_noop("tolerance"),
    gettext_noop("drift"),
    gettext_noop("last t"),
    gettext_noop("static device"),
    gettext_noop("static devices"),
    gettext_noop("digest"),  # django-rest-knox (accounts.ApiToken)
    gettext_noop("token key"),
    gettext_noop("expiry"),
]
