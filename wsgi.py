"""The WSGI entry point: `gunicorn -c gunicorn.conf.py wsgi:app` and `flask --app wsgi ...`."""

from dashboard import create_app
from dashboard.config import load_or_exit

app = create_app(load_or_exit())
