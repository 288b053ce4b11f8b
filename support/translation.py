"""django-modeltranslation: coverage categories in German and English (SUP-2, UI-1)."""

from modeltranslation.translator import TranslationOptions, register

from .models import CoverageCategory


@register(CoverageCategory)
class CoverageCategoryTranslationOptions(TranslationOptions):
    fields = ("name", "description")
