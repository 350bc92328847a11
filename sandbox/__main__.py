"""`python -m sandbox --port N [--strict]`: the sandbox standalone, configured by SANDBOX_* environment variables."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

from werkzeug.serving import make_server

import sandbox
from sandbox.settings import from_environment, load_settings


def stop_serving(signum: int, frame: object) -> None:
    """SIGTERM stops the server like Ctrl-C, so the engine finishes its current job."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Serve the sandbox with werkzeug's threaded server until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Run the Recrubo sandbox API.")
    parser.add_argument("--port", type=int, default=5001, help="port to listen on (0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--strict", action="store_true",
                        help="answer only what the API reference documents (like SANDBOX_STRICT=1)")
    arguments = parser.parse_args(argv)
    config = from_environment(os.environ)
    if arguments.strict:
        config["SANDBOX_STRICT"] = "1"
    try:
        settings = load_settings(config)
    except ValueError as error:
        print(f"sandbox: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = sandbox.create_app(config)
    server = make_server(arguments.host, arguments.port, app, threaded=True)
    print(f"Recrubo sandbox on http://{arguments.host}:{server.server_port}/public/v2", flush=True)
    print(f"API key: {settings.api_key}", flush=True)
    print(f"Webhook secret: {settings.webhook_secret}", flush=True)
    print(f"Partner key (management routes): {settings.partner_key}", flush=True)
    print(f"Database: {settings.database} (time scale {settings.time_scale:g})", flush=True)
    if settings.strict:
        print("Strict mode: only what the API reference documents", flush=True)
    signal.signal(signal.SIGTERM, stop_serving)
    if settings.engine == "threads":  # else `python -m sandbox.engine_process` runs it beside this server
        sandbox.start_engine(app)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        sandbox.stop_engine(app)
    return 0


if __name__ == "__main__":
    sys.exit(main())
