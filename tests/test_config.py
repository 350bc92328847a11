"""Start-up settings: a bad variable stops the server with one clear line and no traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from dashboard.config import ConfigError, load
from tests.support.servers import PYTHON, ROOT, free_port, remote_api, server_environment

BAD_VARIABLES = [
    ("RECRUBO_API_URL", "api.recrubo.app/public/v2"),
    ("RECRUBO_API_URL", "ftp://api.recrubo.app"),
    ("DATABASE_URL", "mysql://user@db/dashboard"),
    ("REDIS_URL", "redis://127.0.0.1:<a closed port>/0"),
    ("PORT", "eighty"),
    ("RECRUBO_APP_ORIGIN", "https://recrubo.app/embed"),
    ("FRAME_ANCESTORS", "javascript:alert(1)"),
    ("SANDBOX_TIME_SCALE", "0"),
    ("SANDBOX_STRICT", "maybe"),
    ("TRUSTED_HOSTS", "https://dash.example.com/"),
    ("PUBLIC_URL", "dash.example.com"),
    ("HOST", "everywhere"),
    ("HOST", "10.1.2.3"),  # the embedded sandbox is called over loopback: the listener must include it
    ("INSTANCE_PATH", "/proc/recrubo-instance"),  # cannot be created: one line, not a traceback
]


@pytest.mark.parametrize("name, value", BAD_VARIABLES)
def test_gunicorn_refuses_bad_variable_with_one_line(tmp_path: Path, name: str, value: str):
    value = value.replace("<a closed port>", str(free_port()))  # chosen here: the same test ids in every run
    env = server_environment(**{"INSTANCE_PATH": str(tmp_path / "instance"), "PORT": str(free_port()), name: value})
    result = subprocess.run([str(Path(PYTHON).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and "configuration error" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_flask_cli_refuses_bad_variable_with_one_line(tmp_path: Path):
    env = server_environment(INSTANCE_PATH=str(tmp_path), DATABASE_URL="oracle://db")
    result = subprocess.run([str(Path(PYTHON).with_name("flask")), "--app", "wsgi", "users", "create", "a@b.c",
                             "--password", "long-enough"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr


def test_defaults_use_the_embedded_sandbox_and_instance_folder(tmp_path: Path):
    config = load({"INSTANCE_PATH": str(tmp_path)})
    assert config.embedded_sandbox
    assert config.recrubo_api_url == "http://127.0.0.1:8000/sandbox/public/v2"
    assert config.database_url == f"sqlite:///{tmp_path / 'dashboard.db'}"
    assert config.app_origin == "https://recrubo.app" and config.frame_ancestors == "'self'"


def test_secret_key_is_generated_once_and_kept(tmp_path: Path):
    first = load({"INSTANCE_PATH": str(tmp_path)}).secret_key
    assert len(first) >= 32
    assert load({"INSTANCE_PATH": str(tmp_path)}).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert load({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "from-env"}).secret_key == "from-env"


def test_postgres_urls_use_psycopg(tmp_path: Path):
    config = load({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgres://u:p@db:5432/dash"})
    assert config.database_url == "postgresql+psycopg://u:p@db:5432/dash"


def test_api_url_is_used_as_given_without_trailing_slash(tmp_path: Path):
    config = load({"INSTANCE_PATH": str(tmp_path), **remote_api("https://api.recrubo.app/public/v2/")})
    assert not config.embedded_sandbox
    assert config.recrubo_api_url == "https://api.recrubo.app/public/v2"


def test_config_error_names_the_variable(tmp_path: Path):
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY"):
        load({"INSTANCE_PATH": str(tmp_path), "WEB_CONCURRENCY": "0"})


def test_trusted_hosts_default_to_loopback_and_the_public_url(tmp_path: Path):
    assert load({"INSTANCE_PATH": str(tmp_path)}).trusted_hosts == ("localhost", "127.0.0.1", "::1")
    config = load({"INSTANCE_PATH": str(tmp_path), "PUBLIC_URL": "https://Dash.Example.com/"})
    assert config.public_origin == "https://dash.example.com" and "dash.example.com" in config.trusted_hosts
    listed = load({"INSTANCE_PATH": str(tmp_path), "TRUSTED_HOSTS": "intranet.example, .corp.example"})
    assert listed.trusted_hosts == ("intranet.example", ".corp.example")


def test_an_unreachable_database_stops_start_up_with_one_line(tmp_path: Path):
    env = server_environment(INSTANCE_PATH=str(tmp_path), PORT=str(free_port()),
                             DATABASE_URL=f"postgresql://dashboard:hunter22@127.0.0.1:{free_port()}/dashboard")
    result = subprocess.run([str(Path(PYTHON).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "[INFO]" not in line]  # gunicorn's own start line
    assert len(errors) == 1 and "DATABASE_URL" in errors[0], result.stderr
    assert "Traceback" not in result.stderr and "hunter22" not in result.stderr
