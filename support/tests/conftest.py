import pytest


@pytest.fixture(autouse=True)
def _english(settings):
    """Reasons are compared in English; the German texts are checked in test_language."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _categories(request):
    """The seeded categories (migration 0002) are gone after a transactional test flushed the database."""
    if "django_db_setup" in request.fixturenames or request.node.get_closest_marker("django_db"):
        from support.coverage import ensure_categories

        request.getfixturevalue("db")
        ensure_categories()
