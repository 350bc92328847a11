"""gunicorn settings for production and for the test suite's live server (see DESIGN §15).

The master imports only `dashboard.config` here: anything else it imported would be imported before the gevent
worker patches `threading`, and a lock or thread made then would be a real one inside the worker.
"""

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

from dashboard.config import load_or_exit

# Validated here, in the master, so a bad variable stops start-up with one line before any worker forks.
_config = load_or_exit()

# Loopback unless HOST opens it on purpose; the Procfile's --bind 0.0.0.0:$PORT overrides this on a platform.
bind = f"[{_config.host}]:{_config.port}" if ":" in _config.host else f"{_config.host}:{_config.port}"
# X-Forwarded-Proto and friends count only behind the proxies TRUSTED_PROXY_COUNT declares (ProxyFix in the app
# reads them then): gunicorn's own default would trust them from any loopback peer and turn on HSTS over http.
forwarded_allow_ips = "*" if _config.trusted_proxy_count else ""
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"} if _config.trusted_proxy_count else {}


def _port_is_free(host: str, port: int) -> bool:
    """True unless something already listens on host:port (checked as gunicorn binds: with SO_REUSEADDR)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno != errno.EADDRINUSE
    return True


# Checked once per master: a reload (SIGHUP) or re-exec (USR2) reads this file again while we hold the port.
if _config.port and not os.environ.get("GUNICORN_FD") and not os.environ.get("RECRUBO_DASHBOARD_PORT_CHECKED") \
        and not _port_is_free(_config.host, _config.port):
    # gunicorn alone would retry for five seconds and name no setting.
    print(f"recrubo-dashboard: port {_config.port} on {_config.host} is taken by another program: "
          f"stop it or set PORT to a free port", file=sys.stderr, flush=True)
    raise SystemExit(2)
os.environ["RECRUBO_DASHBOARD_PORT_CHECKED"] = "1"
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

    try:
        engine = base.make_engine(_config.database_url)
        base.upgrade_schema(engine)
        engine.dispose()
    except Exception as error:  # unreachable, refused, or not ours to migrate: one line, as for a bad setting
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        print(f"recrubo-dashboard: the database at DATABASE_URL cannot be used: {reason}", file=sys.stderr,
              flush=True)
        raise SystemExit(2) from None


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
    """Start the worker's live publisher and read-model sync; on shutdown, close its websockets with 1012."""
    from dashboard.live.socket import start_worker
    from dashboard.recrubo import sync_runner

    start_worker(worker)
    sync_runner.start_worker(worker)
