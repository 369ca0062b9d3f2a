"""Private Redis and PostgreSQL servers on free ports, to restart and flush without touching shared ones."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import redis

from tests.conftest import free_port

PG_USER = "postgres"


class PrivateRedis:
    """A ``redis-server`` of our own; ``persist`` keeps its data across a restart (append-only file)."""

    def __init__(self, workdir: Path, *, persist: bool = True) -> None:
        self.dir = workdir / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.persist = persist
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Its URL for ``HOTLINE_REDIS_URL``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it and wait until it answers PING."""
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir)]
        argv += ["--save", "", "--appendonly", "yes" if self.persist else "no", "--appendfsync", "always"]
        with (self.dir / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            with contextlib.suppress(redis.ConnectionError), self.client() as client:
                if client.ping():
                    return
            if time.monotonic() > deadline:
                raise TimeoutError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop it (SIGTERM: the append-only file is already synced)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def flush(self) -> None:
        """Lose every key, as a failover to an empty replica would."""
        with self.client() as client:
            client.flushall()

    def client(self) -> redis.Redis:
        """A client connection (close it, or use it as a context manager)."""
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb, pg_ctl as the postgres user), trust auth on loopback."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hotline-faults-pg-"))
        shutil.chown(self.dir, PG_USER, PG_USER)
        self.data = self.dir / "data"
        self.port = free_port()
        self.bin = _pg_bin()

    def url(self, database: str = "hotline") -> str:
        """A SQLAlchemy URL of ``database`` on this cluster."""
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        """Create the cluster, start it and create the ``hotline`` database."""
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", PG_USER, "--no-sync")
        self.start()
        dsn = f"host=127.0.0.1 port={self.port} user={PG_USER} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("CREATE DATABASE hotline")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would, no shutdown checkpoint)."""
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def _as_postgres(self, tool: str, *args: str, check: bool = True) -> None:
        argv = ["runuser", "-u", PG_USER, "--", str(self.bin / tool), *args]
        subprocess.run(argv, check=check, capture_output=True, timeout=60, cwd=self.dir)


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise FileNotFoundError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return found[-1].parent


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A fresh cluster with a ``hotline`` database, removed afterwards."""
    pg = PrivatePostgres()
    try:
        pg.init()
        yield pg
    finally:
        pg.destroy()
