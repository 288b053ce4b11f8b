"""Issue 8 §2 and STYLE.md: the boundaries that keep one authority.

- The ground floor (``portal/``) imports no app, not even inside a function.
- Apps import only apps below them (accounts ← tenants ← delegations ← licenses ← support): no circles.
- Views, API modules, forms, serializers and template tags neither query a model themselves (``.objects``,
  ``_default_manager``) nor decide rights themselves (``is_superuser``, role names compared, the user's
  memberships read): reads go through selectors, rights through ``portal.access``.

Each check parses the source (``ast``), so a new file is covered the moment it exists.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["accounts", "tenants", "delegations", "licenses", "support", "reports"]  # lower first
APPS = set(LAYERS)
ROLE_NAMES = {"owner", "admin", "billing", "technical", "member", "sales", "support", "tech"}


def _python_files(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts)
        if parts & {"tests", "migrations", "__pycache__"}:
            continue
        yield path


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), filename=str(path))


def test_issue8_the_ground_floor_imports_no_app():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _python_files(ROOT / "portal")
        for line, module in _imported_modules(_parse(path))
        if module.split(".")[0] in APPS
    ]
    assert not offending, offending


def test_issue8_apps_import_only_apps_below_them():
    offending = []
    for app in LAYERS:
        below = set(LAYERS[: LAYERS.index(app)])
        for path in _python_files(ROOT / app):
            for line, module in _imported_modules(_parse(path)):
                target = module.split(".")[0]
                if target in APPS and target != app and target not in below:
                    offending.append(f"{path.relative_to(ROOT)}:{line} imports {module} (above {app})")
    assert not offending, offending


def _interface_files():
    for app in [*LAYERS, "portal"]:
        folder = ROOT / app
        for path in _python_files(folder):
            relative = path.relative_to(folder).as_posix()
            if (
                relative in ("views.py", "forms.py")
                or relative.startswith(("views/", "api/", "templatetags/"))
                or relative.endswith("serializers.py")
            ):
                yield path


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.problems: list[tuple[int, str]] = []
        self.schema_only: set[int] = set()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # ``Model._default_manager.none()`` tells drf-spectacular a view's model; it reads no row.
        if node.attr == "none" and isinstance(node.value, ast.Attribute):
            self.schema_only.add(id(node.value))
        if node.attr in ("objects", "_default_manager") and id(node) not in self.schema_only:
            self.problems.append((node.lineno, f"queries a model directly (.{node.attr})"))
        elif node.attr in ("is_superuser", "memberships", "subject"):
            self.problems.append((node.lineno, f"decides a right itself (.{node.attr})"))
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        operands = [node.left, *node.comparators]
        literals = {o.value for o in operands if isinstance(o, ast.Constant) and isinstance(o.value, str)}
        if literals & ROLE_NAMES and any(
            isinstance(op, ast.In | ast.NotIn | ast.Eq | ast.NotEq) for op in node.ops
        ):
            names = {getattr(o, "attr", getattr(o, "id", "")) for o in operands}
            if names & {"role", "roles", "kind"} or any("role" in str(name) for name in names):
                self.problems.append((node.lineno, f"checks a role itself ({sorted(literals & ROLE_NAMES)})"))
        self.generic_visit(node)


@pytest.mark.parametrize("path", list(_interface_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_issue8_interfaces_neither_query_models_nor_check_roles(path):
    finder = _Finder()
    finder.visit(_parse(path))
    assert not finder.problems, [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in finder.problems]


def test_issue8_the_boundary_checks_catch_what_they_look_for():
    """The checks themselves: a view that queries and checks a role is caught; a selector call is not."""
    bad = ast.parse(
        "def v(request):\n"
        "    if 'owner' in request.user.roles: pass\n"
        "    if request.user.is_superuser: pass\n"
        "    return Tenant.objects.all()\n"
    )
    good = ast.parse("def v(request):\n    return selectors.tenants_visible_to(request.user)\n")
    finder = _Finder()
    finder.visit(bad)
    assert len(finder.problems) == 3, finder.problems
    finder = _Finder()
    finder.visit(good)
    assert finder.problems == []
