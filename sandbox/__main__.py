"""`python -m sandbox --port N`: the sandbox standalone, configured by SANDBOX_* environment variables."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from werkzeug.serving import make_server

import sandbox

ENV_KEYS = ("SANDBOX_DATABASE", "SANDBOX_API_KEY", "SANDBOX_WEBHOOK_SECRET", "SANDBOX_WEBHOOK_URL",
            "SANDBOX_TIME_SCALE", "SANDBOX_SEED", "SANDBOX_EMBED_TOKEN_SECONDS")


def main(argv: list[str] | None = None) -> int:
    """Serve the sandbox with werkzeug's threaded server until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Run the Recrubo sandbox API.")
    parser.add_argument("--port", type=int, default=5001, help="port to listen on (0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    config = {key: os.environ[key] for key in ENV_KEYS if os.environ.get(key)}
    try:
        app = sandbox.create_app(config)
    except ValueError as exc:
        print(f"sandbox: {exc}", file=sys.stderr)
        return 2
    server = make_server(args.host, args.port, app, threaded=True)
    settings = app.extensions["sandbox"].settings
    print(f"Recrubo sandbox at http://{args.host}:{server.server_port}/public/v2", flush=True)
    print(f"API key: {settings.api_key}", flush=True)
    print(f"Webhook secret: {settings.webhook_secret}", flush=True)
    print(f"Database: {settings.database} (time scale {settings.time_scale:g})", flush=True)
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
