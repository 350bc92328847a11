"""gunicorn settings for production and for the test suite's live server (see DESIGN §15).

The master imports only `dashboard.config` here: anything else it imported would be imported before the gevent
worker patches `threading`, and a lock or thread made then would be a real one inside the worker.
"""

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


def post_worker_init(worker) -> None:
    """Start the worker's live publisher; on shutdown, close its websockets with 1012 so pages reconnect."""
    from dashboard.live.socket import start_worker

    start_worker(worker)
