"""gunicorn settings for production and for the test suite's live server (see DESIGN §15).

The master imports only `dashboard.config` here: anything else it imported would be imported before the gevent
worker patches `threading`, and a lock or thread made then would be a real one inside the worker.
"""

import os
import subprocess
import sys
from pathlib import Path

from dashboard.config import load_or_exit

# Validated here, in the master, so a bad variable stops start-up with one line before any worker forks.
_config = load_or_exit()

bind = f"0.0.0.0:{_config.port}"
# Each websocket is a greenlet, so open sockets never starve ordinary requests.
worker_class = "gevent"
workers = _config.web_concurrency
# Far above the sockets one worker is expected to hold: at the limit no webhook would be accepted.
worker_connections = 10000
timeout = 30
graceful_timeout = 10
keepalive = 5
# The app logs one line per request itself, with its request id; gunicorn logs only its own events.
accesslog = None
errorlog = "-"
# Several servers (tests, a second app) on one machine must not fight over ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True


def on_starting(server) -> None:
    """Migrate the schema once, in the master, before any worker forks: workers never race on it."""
    from dashboard.db import base

    engine = base.make_engine(_config.database_url)
    base.upgrade_schema(engine)
    engine.dispose()


# On the embedded sandbox: the process that runs its engine (plain threads, no gevent) and restarts it if it dies.
_engine_supervisor: list[subprocess.Popen] = []


def when_ready(server) -> None:
    """On the embedded sandbox, start its engine's supervisor (`python -m sandbox.engine_process --supervise`) with
    the mounted app's settings, so the gevent workers only serve HTTP."""
    if not _config.embedded_sandbox:
        return
    environment = {name: value for name, value in os.environ.items() if not name.startswith("SANDBOX_")}
    environment.update(_config.sandbox_settings())
    # Its own session: a Ctrl-C on the terminal reaches gunicorn, which stops it in on_exit after the workers.
    process = subprocess.Popen([sys.executable, "-m", "sandbox.engine_process", "--supervise"],
                               cwd=Path(__file__).resolve().parent, env=environment, start_new_session=True)
    _engine_supervisor.append(process)
    server.log.info("Started the sandbox engine's supervisor (pid %s)", process.pid)


def on_exit(server) -> None:
    """Stop the sandbox engine's supervisor, which stops the engine once its current job is done."""
    for process in _engine_supervisor:
        # poll() and wait() take the arbiter having reaped it already (ECHILD) as ended.
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(25)
            except subprocess.TimeoutExpired:
                process.kill()
        server.log.info("Stopped the sandbox engine's supervisor (pid %s)", process.pid)


def post_worker_init(worker) -> None:
    """Start the worker's live publisher; on shutdown, close its websockets with 1012 so pages reconnect."""
    from dashboard.live.socket import start_worker

    start_worker(worker)
