"""`python -m sandbox --port N`: the sandbox standalone, configured by SANDBOX_* environment variables."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from werkzeug.serving import run_simple

import sandbox
from sandbox.settings import load_settings

ENV_NAMES = ("SANDBOX_DATABASE", "SANDBOX_API_KEY", "SANDBOX_WEBHOOK_SECRET", "SANDBOX_WEBHOOK_URL",
             "SANDBOX_TIME_SCALE", "SANDBOX_SEED")


def main(argv: list[str] | None = None) -> int:
    """Serve the sandbox on loopback until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Run the Recrubo sandbox API.")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--host", default="127.0.0.1")
    arguments = parser.parse_args(argv)
    config = {name: os.environ[name] for name in ENV_NAMES if os.environ.get(name)}
    try:
        load_settings(config)
    except ValueError as error:
        print(f"sandbox: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = sandbox.create_app(config)
    sandbox.start_engine(app)
    print(f"Recrubo sandbox on http://{arguments.host}:{arguments.port}/public/v2", flush=True)
    run_simple(arguments.host, arguments.port, app, threaded=True, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
