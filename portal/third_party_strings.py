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
]
