"""The sandbox's engine in a process of its own, for a sandbox served by a process that must not run it.

`python -m sandbox.engine_process` runs the engine (plain threads, never gevent) of the sandbox configured by the
SANDBOX_* environment variables, until SIGTERM or SIGINT. With `--supervise` it runs that as its child instead,
starts it again whenever it dies (logging its exit status or signal), and stops it when told to stop. gunicorn's
master starts the supervisor when the dashboard mounts the embedded sandbox (gunicorn.conf.py), so its gevent
worker only serves HTTP. Both processes also stop when their parent is gone.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Mapping

from sandbox.settings import from_environment, load_settings

log = logging.getLogger("sandbox.engine_process")  # also when run as __main__
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0)  # after quick successive deaths; back to the first after a long run
STEADY_AFTER = 60.0  # an engine that ran this long died for a new reason: restart it at once
STOP_WAIT = 20.0  # longer than the engine's own wait for its workers' current jobs


def run(config: Mapping[str, Any]) -> int:
    """Run the sandbox's engine in this process until SIGTERM or SIGINT, or until the parent process is gone."""
    from sandbox.engine import Engine
    from sandbox.state import SandboxState
    from sandbox.store import initialize

    parent = os.getppid()
    settings = load_settings(config)
    initialize(settings.database)  # the tables; the app that serves the sandbox seeds it
    engine = Engine(SandboxState(settings))
    stop = _stop_on_signals()
    engine.start()
    while not stop.wait(0.5):
        if os.getppid() != parent:
            log.warning("sandbox engine process: its parent is gone; stopping")
            break
    engine.stop()
    return 0


def supervise() -> int:
    """Run `python -m sandbox.engine_process` as a child, with this environment, and start it again when it dies."""
    parent = os.getppid()
    stop = _stop_on_signals()
    child: subprocess.Popen | None = None
    deaths = 0
    while not stop.is_set():
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "sandbox.engine_process"])
        log.info("sandbox engine process %s started", child.pid)
        while child.poll() is None and not stop.is_set():
            stop.wait(0.2)
            if os.getppid() != parent:
                log.warning("sandbox engine supervisor: its parent is gone; stopping")
                stop.set()
        if child.returncode is None or stop.is_set():
            break
        deaths = 0 if time.monotonic() - started > STEADY_AFTER else deaths + 1
        delay = RESTART_DELAYS[min(deaths, len(RESTART_DELAYS)) - 1] if deaths else 0.0
        log.error("sandbox engine process %s %s; starting it again in %.1f s", child.pid,
                  how_it_ended(child.returncode), delay)
        stop.wait(delay)
    if child is not None and child.poll() is None:
        child.terminate()
        try:
            child.wait(STOP_WAIT)
        except subprocess.TimeoutExpired:
            log.error("sandbox engine process %s did not stop within %.0f s; killing it", child.pid, STOP_WAIT)
            child.kill()
            child.wait()
    log.info("sandbox engine supervisor stopped")
    return 0


def how_it_ended(returncode: int) -> str:
    """A process's end in words: its exit status, or the signal that killed it."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda signum, frame: stop.set())
    return stop


def main(argv: list[str] | None = None) -> int:
    """Run the engine, or with --supervise its supervisor; settings come from SANDBOX_* variables."""
    parser = argparse.ArgumentParser(prog="python -m sandbox.engine_process", description=__doc__.split("\n\n")[0])
    parser.add_argument("--supervise", action="store_true",
                        help="run the engine as a child and restart it when it dies")
    arguments = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format=f"%(asctime)s [{os.getpid()}] %(levelname)s %(name)s: %(message)s")
    config = from_environment(os.environ)
    try:
        load_settings(config)
    except ValueError as error:
        print(f"sandbox engine: configuration error: {error}", file=sys.stderr)
        return 2
    return supervise() if arguments.supervise else run(config)


if __name__ == "__main__":
    sys.exit(main())
