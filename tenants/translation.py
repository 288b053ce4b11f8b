"""django-modeltranslation: the service catalogue's names and descriptions in German and English (UI-1, TEN-5).

``ServiceType.name`` reads the active language's column (``name_de`` / ``name_en``) with fallback to the
other; the API, the offers and the mails show the reader's language.
"""

from modeltranslation.translator import TranslationOptions, register

from .models import ServiceType


@register(ServiceType)
class ServiceTypeTranslationOptions(TranslationOptions):
    fields = ("name", "description")
