"""What every benchmark shares: where the checkout is (its packages import as in the app), the benchmark's
account, the machine's description printed around every run, and scratch folders.

Every bench script imports this module first: it puts the checkout on sys.path, so `tests.support` (the
suite's server launcher, which the benchmarks share) and the project's packages import.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/x.py` from a clone: the project's packages import as in the app

BENCH = ROOT / "bench"
PYTHON = sys.executable
EMAIL, PASSWORD = "bench@example.com", "a long benchmark password"


# --- the machine ---------------------------------------------------------------------------------------------

def machine() -> dict:
    """Cores, CPU model and load average now: printed before and after every run."""
    model = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cores": os.cpu_count(), "cpu": model, "load": os.getloadavg(),
            "python": platform.python_version()}


def print_header(title: str) -> dict:
    """Print what runs, where, and the exact command; return the machine as it was before."""
    before = machine()
    print(f"# {title}")
    print(f"command: {' '.join(shlex.quote(arg) for arg in [Path(PYTHON).name, *sys.argv])}  (cwd {ROOT})")
    print(f"machine: {before['cores']} cores, {before['cpu']}, Python {before['python']}")
    print(f"load average before: {fmt_load(before['load'])}")
    print(f"started: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}", flush=True)
    return before


def print_footer() -> None:
    """Print the load average after the run: figures taken on a busy machine say so."""
    print(f"load average after: {fmt_load(machine()['load'])}", flush=True)


def fmt_load(load: tuple[float, float, float]) -> str:
    """A load average as printed: three figures with two decimals."""
    return " ".join(f"{value:.2f}" for value in load)


def temporary_folder(prefix: str, parent: str | None = None) -> tempfile.TemporaryDirectory:
    """A scratch folder for one run's databases and logs, removed afterwards."""
    return tempfile.TemporaryDirectory(prefix=f"recrubo-bench-{prefix}-", dir=parent)
