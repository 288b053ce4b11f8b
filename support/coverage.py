"""SUP-2: the coverage categories of seed 001 — what a support contract covers, and the excluded areas whose
work is billable. The migration seeds them; ``ensure_categories`` puts missing ones back (demo data after a
flush, tests). Editable in the admin: existing rows are never overwritten."""

from __future__ import annotations

CATEGORIES = [
    # code, covered, German, English
    (
        "user_question",
        True,
        "Bedienerfragen (Telefon, Fernwartung)",
        "User questions (phone, remote session)",
    ),
    ("bug_analysis", True, "Fehleranalyse mit Work-Around", "Bug analysis with a workaround"),
    (
        "organisational",
        True,
        "Organisatorische Fragen zu Geschäftsprozessen",
        "Organisational questions about business processes",
    ),
    ("operating_system", False, "Betriebssysteme", "Operating system"),
    ("network", False, "Netzwerke", "Network"),
    ("database", False, "Datenbank- / SQL-Server-Administration", "Database / SQL server administration"),
    ("hardware", False, "Hardware", "Hardware"),
    ("virtualization", False, "Virtualisierungssoftware", "Virtualization"),
    ("terminal_server", False, "Terminalserver", "Terminal server"),
    ("third_party", False, "Komponenten von Drittanbietern", "Third-party components"),
    ("print_report", False, "Druck-Report-Änderungen", "Print/report changes"),
    ("data_import", False, "Neue Datenimportdefinitionen", "New data import definitions"),
]


def ensure_categories(model=None) -> None:
    if model is None:
        from .models import CoverageCategory as model
    for position, (code, covered, german, english) in enumerate(CATEGORIES):
        model.objects.get_or_create(
            code=code,
            defaults={
                "covered": covered,
                "position": position,
                "name": german,
                "name_de": german,
                "name_en": english,
            },
        )
