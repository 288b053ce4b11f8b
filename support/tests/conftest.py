import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Reasons are compared in English; the German texts are checked in test_language."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
