"""The package's shape: importing does nothing, imports point one way, modules stay small, habits hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.support.servers import server_environment

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKED = ("dashboard", "sandbox", "tests", "bench")


def run_python(script: str, tmp_path: Path) -> str:
    """Run `script` in a fresh interpreter in the checkout, as gunicorn's master would see it; return stdout."""
    environment = server_environment(INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("module", ["dashboard", "dashboard.config", "sandbox", "sandbox.defaults"])
def test_importing_a_package_loads_nothing_else_of_ours(module, tmp_path):
    ours = "sorted(m for m in sys.modules if m.split('.')[0] in ('dashboard', 'sandbox'))"
    loaded = run_python(f"import {module}, sys\nprint(' '.join({ours}))", tmp_path).split()
    assert set(loaded) <= {"dashboard", "dashboard.config", "sandbox", "sandbox.defaults"}, loaded
    assert len([name for name in loaded if name.startswith("sandbox")]) <= 2


def test_the_master_makes_no_lock_or_thread_of_ours_before_the_worker_patches(tmp_path):
    # gunicorn's master runs gunicorn.conf.py before a gevent worker patches `threading`: a lock or thread made
    # then would be a real OS one inside the worker (a real lock waited on while its holder yields freezes it).
    script = """
import runpy, sys, threading
from gevent import monkey
real_lock = type(monkey.get_original("_thread", "allocate_lock")())
runpy.run_path("gunicorn.conf.py")
assert threading.active_count() == 1, threading.enumerate()
ours = sorted(m for m in sys.modules if m.split(".")[0] in ("dashboard", "sandbox"))
assert set(ours) <= {"dashboard", "dashboard.config", "sandbox", "sandbox.defaults"}, ours
monkey.patch_all()
from dashboard import create_app
create_app()
real = [f"{name}.{attribute}" for name, module in list(sys.modules.items())
        if name.split(".")[0] in ("dashboard", "sandbox")
        for attribute, value in vars(module).items() if isinstance(value, real_lock)]
assert not real, real
print("ok")
"""
    assert run_python(script, tmp_path).strip().endswith("ok")


def test_imports_point_one_way():
    result = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("package", ["dashboard", "sandbox"])
def test_no_module_imports_itself_through_others(package):
    graph = grimp.build_graph(package, cache_dir=None, exclude_type_checking_imports=True)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.chain_exists(imported=module, importer=imported):
                cycles.append(graph.find_shortest_chain(importer=imported, imported=module) + (imported,))
    assert not cycles, cycles


def test_ruff_finds_nothing():
    result = subprocess.run([str(BIN / "ruff"), "check", "--no-cache", *CHECKED], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_is_small():
    sizes = {str(path.relative_to(ROOT)): len(path.read_text().splitlines())
             for folder in CHECKED for path in (ROOT / folder).rglob("*.py") if ".venv" not in path.parts}
    assert {path: lines for path, lines in sizes.items() if lines > 300} == {}


def helper_imports_outside_support() -> list[str]:
    """Every import in tests/ of a conftest or a test module (`file:line: module`): helpers live in
    tests/support/, conftest files hold fixtures, test modules hold tests."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue  # relative imports: the suite has none, and a test package's `from . import` is caught here
            for module in modules:
                last = module.rsplit(".", 1)[-1]
                if module.split(".")[0] == "tests" and (last == "conftest" or last.startswith("test_")):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {module}")
    return found


def test_tests_import_helpers_only_from_support():
    assert helper_imports_outside_support() == []


def test_the_dashboard_package_is_seen_whole_at_a_glance():
    entries = [path.name for path in (ROOT / "dashboard").iterdir() if path.name != "__pycache__"]
    assert len(entries) <= 20, sorted(entries)
