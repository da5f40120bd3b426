"""A throwaway PostgreSQL cluster for the test run, and a database per test.

The suites marked `both_engines` run against SQLite and against a real PostgreSQL server
(docs/postgresql.md, "Tests"). The cluster is made once per run by the pytest process
that starts the run (with xdist: the controller, before its workers start; they find it
through DOORKEEPER_TEST_PG): initdb in a temporary folder, as an unprivileged user when
the run is root (PostgreSQL refuses to run as root), Unix socket only, no fsync. It is
stopped and removed when the run ends. DOORKEEPER_TEST_PG set beforehand to a socket
folder uses that server instead (and leaves it running).

Each worker builds its seed databases once (migrated, + administrator, + small estate:
tests/conftest.py's seeds) and every test gets `CREATE DATABASE t_N TEMPLATE seed`. The run's
hooks (--engines, the cluster, `both_engines`) are at the end; tests/conftest.py imports them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import asyncpg
import pytest

ENV = "DOORKEEPER_TEST_PG"
SUPERUSER = "postgres"
#: PostgreSQL's binaries: on PATH, else Debian's folder (the newest version)
PG_DIRS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[4]))


def pg_bin(name: str) -> str | None:
    """The path of a PostgreSQL program, or None when it is not installed."""
    found = shutil.which(name)
    if found:
        return found
    for folder in reversed(PG_DIRS):
        if os.access(f"{folder}/{name}", os.X_OK):
            return f"{folder}/{name}"
    return None


def available() -> bool:
    """Whether a cluster can be made here."""
    return pg_bin("initdb") is not None and pg_bin("pg_ctl") is not None


def _as_user() -> list[str]:
    """The prefix that runs a program unprivileged when we are root (PostgreSQL refuses
    root): `runuser -u nobody --`."""
    if os.geteuid() != 0:
        return []
    pwd.getpwnam("nobody")
    return ["runuser", "-u", "nobody", "--"]


class Cluster:
    """One throwaway cluster: its folder holds the data and the socket."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"

    @classmethod
    def start(cls) -> Cluster:
        """initdb, then pg_ctl start (a second or two); raises RuntimeError with the log."""
        folder = Path(tempfile.mkdtemp(prefix="dk-pg-"))
        cluster = cls(folder)
        prefix = _as_user()
        if prefix:
            shutil.chown(folder, "nobody")
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        assert initdb and pg_ctl
        cluster._run(prefix + [initdb, "-D", str(cluster.data), "-A", "trust", "-U", SUPERUSER,
                               "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
        options = (f"-k {folder} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
                   "-c shared_buffers=64MB")
        cluster._run(prefix + [pg_ctl, "-D", str(cluster.data), "-o", options, "-l",
                               str(cluster.log), "-w", "-t", "30", "start"])
        return cluster

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.folder,
                              check=False)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout}"
                               f"{done.stderr}{log}")

    @property
    def socket(self) -> str:
        return str(self.folder)

    def stop(self) -> None:
        """Stop the server at once and remove the folder."""
        pg_ctl = pg_bin("pg_ctl")
        with contextlib.suppress(RuntimeError):
            if pg_ctl:
                self._run(_as_user() + [pg_ctl, "-D", str(self.data), "-m", "immediate",
                                        "-w", "stop"])
        shutil.rmtree(self.folder, ignore_errors=True)


def url(socket: str, database: str) -> str:
    """The store URL of a database on the test server."""
    return f"postgresql+asyncpg://{SUPERUSER}@/{database}?host={socket}"


class Databases:
    """A worker's databases on the test server: seeds to copy, one database per test."""

    def __init__(self, socket: str, worker: str) -> None:
        self.socket = socket
        self.worker = worker.replace("-", "_")
        self.made = 0

    async def _admin(self) -> asyncpg.Connection:
        return await asyncpg.connect(host=self.socket, user=SUPERUSER, database="postgres")

    def name(self, what: str) -> str:
        return f"{what}_{self.worker}"

    async def create(self, name: str, template: str | None = None) -> str:
        """A new database (dropped first if it exists), copied from `template` if given."""
        con = await self._admin()
        try:
            await con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
            await con.execute(f'CREATE DATABASE "{name}"{copy}')
        finally:
            await con.close()
        return name

    async def fresh(self, template: str) -> str:
        """A database for one test, a copy of a seed."""
        self.made += 1
        return await self.create(self.name(f"t{self.made}"), template)

    async def drop(self, name: str) -> None:
        con = await self._admin()
        try:
            await con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await con.close()


# --- the run's hooks (a plugin of tests/conftest.py) ------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--engines", default="sqlite,postgresql",
                     help="the engines `both_engines` modules run on (default: both)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_engines: the module's tests that use `store` "
                            "run on SQLite and on PostgreSQL (tests/pg.py)")
    engines = config.getoption("--engines").split(",")
    if ("postgresql" not in engines or hasattr(config, "workerinput")
            or os.environ.get(ENV) or not available() or not _wants_pg(config.args)):
        return
    cluster = Cluster.start()  # once per run: xdist's workers inherit the variable
    os.environ[ENV] = cluster.socket
    config.stash[_CLUSTER] = cluster


def _wants_pg(args: list[str]) -> bool:
    """Whether the run may hold PostgreSQL tests: the whole suite or a folder, or a module
    that uses the server (so `pytest tests/test_rules_text.py` starts no cluster)."""
    if not args:
        return True
    for arg in args:
        path = Path(arg.split("::")[0])
        if path.is_dir():
            return True
        with contextlib.suppress(OSError):
            if any(w in path.read_text(encoding="utf-8") for w in ("both_engines", "_pg_seeds",
                                                                   "store_engine")):
                return True
    return False


def pytest_unconfigure(config: pytest.Config) -> None:
    cluster = config.stash.get(_CLUSTER, None)
    if cluster is not None:
        cluster.stop()
        os.environ.pop(ENV, None)


_CLUSTER = pytest.StashKey[Cluster]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`both_engines` modules: every test using `store` once per engine."""
    if "store" not in metafunc.fixturenames or not metafunc.definition.get_closest_marker(
            "both_engines"):
        return
    if any("store_engine" in str(m.args[0]) for m in metafunc.definition.iter_markers(
            "parametrize")):
        return  # the test names its engines itself
    engines = metafunc.config.getoption("--engines").split(",")
    metafunc.parametrize("store_engine", engines, indirect=True)
