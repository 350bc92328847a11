"""Real backing services the suite starts itself: a throwaway PostgreSQL cluster and redis-servers on loopback."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.servers import stop
from tests.support.waiting import wait_until


def postgres_bin() -> Path | None:
    """Debian's PostgreSQL server programs, or None when the server is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@dataclass
class Postgres:
    """A running cluster: its admin URL, and how to make a fresh database on it."""

    port: int
    data: Path
    runner: list[str]
    options: str

    @property
    def admin_url(self) -> str:
        """The URL of its maintenance database, as the cluster's owner."""
        return f"postgresql://dashboard@127.0.0.1:{self.port}/postgres"

    def fresh_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://dashboard@127.0.0.1:{self.port}/{name}"

    def pause(self) -> None:
        """Stop the server, keeping its data, as an outage would."""
        self._pg_ctl("-m", "immediate", "stop")

    def resume(self) -> None:
        """Start the server again on the same port and data."""
        self._pg_ctl("-o", self.options, "-l", str(self.data.parent / "log"), "-w", "start")

    def stop(self) -> None:
        """Stop the server and delete its data."""
        self._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(self.data.parent, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.runner, str(postgres_bin() / "pg_ctl"), "-D", str(self.data), *args],
                       capture_output=True, timeout=120)


def start_postgres(port: int) -> Postgres:
    """initdb + pg_ctl start on 127.0.0.1:`port`, trust auth, no fsync: fast and disposable."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed; scripts/test installs Debian's postgresql")
    root = Path(tempfile.mkdtemp(prefix="recrubo-pg-"))
    data = root / "data"
    runner: list[str] = []
    if os.geteuid() == 0:
        # PostgreSQL refuses to run as root: run it as Debian's postgres user, in a folder it owns.
        shutil.chown(root, "postgres")
        runner = ["runuser", "-u", "postgres", "--"]
    os.chmod(root, 0o755)
    subprocess.run([*runner, str(bindir / "initdb"), "-D", str(data), "-U", "dashboard", "-A", "trust",
                    "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    server = Postgres(port, data, runner, options)
    server.resume()
    return server


@dataclass
class RedisServer:
    """A redis-server process, without persistence, that a test may stop and start again on the same port."""

    executable: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The URL of its database 0."""
        return self.database(0)

    def database(self, number: int) -> str:
        """The URL of one of its databases."""
        return f"redis://127.0.0.1:{self.port}/{number}"

    def start(self) -> None:
        """Start (or restart) it and wait until it answers PING."""
        import redis

        with self.log.open("ab") as output:
            self.process = subprocess.Popen([self.executable, "--port", str(self.port), "--bind", "127.0.0.1",
                                             "--save", "", "--appendonly", "no"],
                                            stdout=output, stderr=subprocess.STDOUT)

        def answers() -> bool:
            try:
                return redis.Redis(port=self.port, socket_connect_timeout=1).ping()
            except redis.RedisError:
                return False

        try:
            wait_until(answers, 20, f"redis-server answers on {self.port}")
        except AssertionError as error:
            raise RuntimeError(f"{error}:\n{self.log.read_text()[-2000:]}") from None

    def stop(self) -> None:
        """Stop it (the dashboard sees Redis go away)."""
        stop(self.process)


def redis_executable() -> str:
    """Debian's redis-server; fail when it is not installed."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not installed; scripts/test installs it")
    return executable
