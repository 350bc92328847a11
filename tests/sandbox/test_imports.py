"""Importing the sandbox does nothing, and its modules import each other without cycles."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "sandbox"


def sandbox_modules_after(statement: str) -> list[str]:
    """The sandbox modules a fresh interpreter has loaded after running `statement`."""
    code = (f"{statement}; import sys, json; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True,
                          timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("statement", ["import sandbox", "import sandbox.defaults"])
def test_importing_the_package_loads_nothing_else(statement):
    assert set(sandbox_modules_after(statement)) <= {"sandbox", "sandbox.defaults"}


class Imports(ast.NodeVisitor):
    """The modules a module imports anywhere (inside functions too), except under `if TYPE_CHECKING:` alone."""

    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if getattr(node.test, "id", "") != "TYPE_CHECKING":
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found |= {alias.name for alias in node.names}

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module:  # the sandbox imports absolutely
            self.found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}


def imported_modules(path: Path) -> set[str]:
    """The sandbox modules (not the package itself) that the module at `path` imports."""
    imports = Imports()
    imports.visit(ast.parse(path.read_text()))
    return {name for name in imports.found if name.startswith("sandbox.") and (PACKAGE / f"{name[8:]}.py").exists()}


def test_the_modules_import_each_other_without_cycles():
    graph = {f"sandbox.{path.stem}": imported_modules(path) for path in PACKAGE.glob("*.py")
             if path.stem != "__init__"}  # the package's create_app assembles the modules; none imports it back
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, "import cycle: " + " -> ".join(trail[trail.index(module):] + (module,))
        if module not in done:
            for imported in sorted(graph[module]):
                visit(imported, trail + (module,))
            done.add(module)

    for module in sorted(graph):
        visit(module, ())


def test_every_module_stays_small():
    assert {path.name: n for path in PACKAGE.glob("*.py") if (n := len(path.read_text().splitlines())) > 300} == {}
