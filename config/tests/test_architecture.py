"""Who may import whom (docs/architecture.md): ``mentions`` and ``notifications`` are generic —
they, their tests included, never import ``crm`` — and no app's modules import each other in a
circle, not even through imports hidden inside functions."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GENERIC_APPS = ["mentions", "notifications", "jobs", "search"]


def modules(app: str, *, tests: bool) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT).with_suffix("")
        if "migrations" in relative.parts or (not tests and "tests" in relative.parts):
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = path
    return found


def imported(path: Path, package: str) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], base]).strip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("app", GENERIC_APPS)
def test_generic_apps_and_their_tests_import_nothing_from_crm(app):
    offenders = {
        name: sorted(n for n in imported(path, name) if n == "crm" or n.startswith("crm."))
        for name, path in modules(app, tests=True).items()
    }
    assert {name: found for name, found in offenders.items() if found} == {}


@pytest.mark.parametrize("app", [*GENERIC_APPS, "accounts", "crm"])
def test_the_modules_of_an_app_import_each_other_without_a_circle(app):
    own = modules(app, tests=False)
    graph = {name: {n for n in imported(path, name) if n in own and n != name} for name, path in own.items()}
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for target in sorted(graph[name]):
            if state.get(target) == "open":
                pytest.fail("import circle: " + " → ".join([*trail[trail.index(target) :], target]))
            if target not in state:
                visit(target, [*trail, target])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_notifications_hard_code_no_kind():
    """The kinds are registered by the apps that send them (notifications.kinds)."""
    found = []
    for name, path in modules("notifications", tests=False).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in {"mention", "assignment"}:
                found.append((name, node.value))
    assert found == []
