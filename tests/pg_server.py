"""A real, throwaway PostgreSQL server for tests.

`start_server()` makes a fresh cluster in a temporary folder with the installed PostgreSQL binaries
(Debian's `postgresql` package: /usr/lib/postgresql/<version>/bin, or `initdb` on PATH), starts it on a
free port of 127.0.0.1 only, and creates the database `records`. Authentication is `trust` for the user
`handout`, so URLs carry no password. `stop()` and `start()` take the server down and bring it back on the
same port with the same data (to act out an outage); `remove()` stops it and deletes everything.

initdb and pg_ctl refuse to run as root, and the tests run as root in CI (and in the dev container), so as
root the commands run as the `postgres` system user (created by the Debian package) through `runuser`, and
the temporary folder is handed to that user.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow

USER = "handout"
HOST = "127.0.0.1"
DATABASE = "records"
# Debian installs each major version side by side; the glob finds them without PATH changes.
DEBIAN_BIN_GLOB = "/usr/lib/postgresql/*/bin"
# The system user the Debian package creates; used only when we are root.
SYSTEM_USER = "postgres"


class PostgresUnavailable(Exception):
    """No usable PostgreSQL installation here (no initdb, or running as root without a way to drop root)."""


class PostgresError(RuntimeError):
    """PostgreSQL is installed, but making, starting or stopping the test server failed."""


def find_bin_dir() -> Path:
    """The folder holding initdb, pg_ctl and postgres: the newest Debian version, else initdb's on PATH."""

    def major(folder: str) -> tuple[int, ...]:
        # Sort numerically so that 9.6 < 15 < 17 (a plain string sort would put "9.6" last).
        name = Path(folder).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    candidates = [d for d in glob.glob(DEBIAN_BIN_GLOB) if os.access(os.path.join(d, "initdb"), os.X_OK)]
    if candidates:
        return Path(max(candidates, key=major))
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise PostgresUnavailable(
        f"PostgreSQL is not installed: no initdb in {DEBIAN_BIN_GLOB} or on PATH "
        "(on Debian/Ubuntu: apt-get install postgresql, or run .ci/system-deps.sh)"
    )


def _free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now (the kernel picks it for a port-0 bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _is_zombie(pid: int) -> bool:
    """Whether the process has exited and only waits to be reaped (Linux /proc; False elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            # The state letter follows the command name, which is in parentheses and may hold spaces.
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _wait_until_gone(pid: int, timeout: float, zombie_ok: bool = False) -> bool:
    """Wait until the process no longer exists; with zombie_ok, until it has at least exited (it holds
    no port or files then). True if that happened within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # exists, but is not ours to signal; keep waiting
        if zombie_ok and _is_zombie(pid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _conf_string(value: str) -> str:
    """A value quoted for postgresql.conf (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


class PostgresServer:
    """One throwaway cluster: its folder, its port and the commands that drive it.

    Made by `start_server()`; use `url` (SQLAlchemy) or `url_for(name)` to reach it.
    """

    def __init__(self, bin_dir: Path, base: Path, port: int, run_as: str | None) -> None:
        self.bin_dir = bin_dir
        self.base = base  # the temporary folder: data/, the log and the unix socket
        self.data_dir = base / "data"
        self.log_file = base / "postgres.log"
        self.port = port
        self.host = HOST
        self.user = USER
        self.database = DATABASE
        self._run_as = run_as  # the system user to run server commands as (when we are root), else None
        self._removed = False

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the `records` database."""
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of any database on this server."""
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def connect(self, database: str | None = None, **kwargs: Any) -> psycopg.Connection[TupleRow]:
        """A psycopg connection to `database` (default `records`); the caller closes it (`with`)."""
        kwargs.setdefault("connect_timeout", 10)
        return psycopg.connect(
            host=self.host, port=self.port, user=self.user, dbname=database or self.database, **kwargs
        )

    @property
    def running(self) -> bool:
        """Whether the server process is up (asks pg_ctl, so a crash or outside kill is seen too)."""
        return not self._removed and self._is_up()

    def _is_up(self) -> bool:
        if not self.data_dir.is_dir():
            return False
        # pg_ctl status: 0 running, 3 not running, 4 no usable data folder.
        if self._run(["pg_ctl", "status", "-D", str(self.data_dir)], check=False).returncode != 0:
            return False
        # A postmaster killed from outside stays a zombie until init reaps it (about a second in some
        # containers), and pg_ctl, like the server's own lock-file check, counts a zombie as alive: wait
        # for the reaping, or start() would do nothing (or the new server would refuse the lock file).
        pid = self._postmaster_pid()
        if pid is not None and _is_zombie(pid):
            _wait_until_gone(pid, timeout=10.0)
            return False
        return True

    def start(self) -> None:
        """Start the server (again) on the same port with the same data; nothing happens if it is up."""
        if self._removed:
            raise PostgresError("this test server was removed; call start_server() for a new one")
        if self.running:
            return
        # -w waits until it accepts connections; -l keeps the server's output out of our pipes, so
        # subprocess.run() returns once pg_ctl does (the daemon does not inherit them).
        result = self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {self.port}",
                "start",
            ],
            check=False,
        )
        if result.returncode != 0:
            raise PostgresError(
                f"pg_ctl start failed (port {self.port}):\n{result.stdout}{result.stderr}"
                f"\n--- server log ---\n{self.log_tail()}"
            )

    def stop(self) -> None:
        """Shut the server down (fast: open sessions are cut off); the data stays for `start()`."""
        if not self.running:
            return
        result = self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop"], check=False)
        if result.returncode != 0:
            raise PostgresError(f"pg_ctl stop failed:\n{result.stdout}{result.stderr}")

    def remove(self) -> None:
        """Stop the server if it runs and delete the temporary folder. Safe to call more than once."""
        if self._removed:
            return
        self._removed = True
        atexit.unregister(self.remove)
        try:
            if self.data_dir.is_dir():
                self._shut_down_for_good()
        finally:
            # As root the files belong to the postgres user; root may delete them all the same.
            shutil.rmtree(self.base, ignore_errors=True)
        if self.base.exists():
            raise PostgresError(f"could not delete the test server's folder {self.base}")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server log, for error messages."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _shut_down_for_good(self) -> None:
        """Make sure no server process outlives remove(), even if pg_ctl cannot stop it cleanly."""
        if not self._is_up():
            return
        stop = self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "30", "stop"], check=False)
        if stop.returncode == 0:
            return
        # Last resort: the postmaster's own process id (first line of postmaster.pid). SIGQUIT is
        # PostgreSQL's immediate shutdown, which also ends its child processes.
        pid = self._postmaster_pid()
        if pid is None:
            return
        for sig, wait in ((signal.SIGQUIT, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            if _wait_until_gone(pid, timeout=wait, zombie_ok=True):
                return

    def _postmaster_pid(self) -> int | None:
        try:
            first = (self.data_dir / "postmaster.pid").read_text().splitlines()[0]
            return int(first.strip())
        except (OSError, IndexError, ValueError):
            return None

    def _run(self, args: list[str], check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run one of the PostgreSQL programs, as the postgres system user when we are root."""
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._run_as:
            command = ["runuser", "-u", self._run_as, "--", *command]
        # Our own PG* settings (PGDATA, PGPORT, PGHOST...) must not steer the throwaway server. The working
        # folder is ours: the postgres user may not be allowed into the caller's folder (e.g. /root).
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        result = subprocess.run(
            command,
            cwd=self.base,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise PostgresError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result


def _system_user_for_root() -> str | None:
    """The user to run server commands as: `postgres` when we are root, else nobody (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, and initdb refuses root; there is no '{SYSTEM_USER}' system user to run it as"
        ) from None
    if not shutil.which("runuser"):
        raise PostgresUnavailable("running as root, and initdb refuses root; runuser (util-linux) is missing")
    return SYSTEM_USER


def start_server() -> PostgresServer:
    """Make, start and return a fresh PostgreSQL server with an empty `records` database.

    Raises PostgresUnavailable when PostgreSQL is not installed (or cannot run here), PostgresError
    when it is installed but fails. The caller calls `remove()`; an exit hook does it otherwise.
    """
    bin_dir = find_bin_dir()
    run_as = _system_user_for_root()
    base = Path(tempfile.mkdtemp(prefix="handout-pg-"))
    server = PostgresServer(bin_dir, base, _free_port(), run_as)
    # Registered first, so that a failure anywhere below still leaves no folder or process behind.
    atexit.register(server.remove)
    try:
        if run_as:
            info = pwd.getpwnam(run_as)
            os.chown(base, info.pw_uid, info.pw_gid)
        _initdb(server)
        _configure(server)
        # The port was free a moment ago, but another process may take it before the server binds it:
        # try a few fresh ports before giving up.
        for attempt in range(3):
            try:
                server.start()
                break
            except PostgresError:
                if attempt == 2 or "already in use" not in server.log_tail():
                    raise
                server.port = _free_port()
        with server.connect("postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(server.database)))
    except BaseException:
        server.remove()
        raise
    return server


def _initdb(server: PostgresServer) -> None:
    """Create the cluster. C.UTF-8 gives Unicode-aware upper()/lower(); plain C is the fallback where
    the C library lacks that locale (both sort bytewise, so results do not depend on the machine)."""
    base = ["initdb", "-D", str(server.data_dir), "-A", "trust", "-U", USER, "-E", "UTF8", "--no-instructions"]
    first = server._run([*base, "--locale=C.UTF-8"], check=False)
    if first.returncode == 0:
        return
    shutil.rmtree(server.data_dir, ignore_errors=True)
    second = server._run([*base, "--locale=C"], check=False)
    if second.returncode != 0:
        raise PostgresError(
            f"initdb failed:\n{first.stdout}{first.stderr}\n(with --locale=C:)\n{second.stdout}{second.stderr}"
        )


def _configure(server: PostgresServer) -> None:
    """Settings for a private, disposable server. They go in postgresql.conf rather than on pg_ctl's -o
    (which is handed to a shell), so folder names need no shell quoting; the port alone goes on -o."""
    settings = {
        "listen_addresses": _conf_string(HOST),  # nothing outside this machine can reach it
        "unix_socket_directories": _conf_string(str(server.base)),  # not /var/run/postgresql (system server's)
        # Durability is pointless for data deleted after the run; these make writes and start-up fast.
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
    }
    with open(server.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# handout tests (tests/pg_server.py)\n")
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
