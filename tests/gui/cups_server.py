"""A private CUPS scheduler on loopback with one cups-pdf queue, for the printing integration test.

It runs from its own folder with its own port, so it never touches the machine's real CUPS set-up.
cups-pdf writes each job to `~/PDF` of the user who printed (Debian's /etc/cups/cups-pdf.conf).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CUPSD = Path("/usr/sbin/cupsd")
LPADMIN = "lpadmin"
CUPS_PDF_BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
QUEUE = "HandoutTestQueue"

CUPSD_CONF = """\
Listen 127.0.0.1:{port}
LogLevel info
WebInterface No
Browsing No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Location /admin>
  Order allow,deny
  Allow from 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess default
  JobPrivateValues default
  SubscriptionPrivateAccess default
  SubscriptionPrivateValues default
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""

CUPS_FILES_CONF = """\
ServerRoot {root}
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
AccessLog {root}/log/access_log
ErrorLog {root}/log/error_log
PageLog {root}/log/page_log
FileDevice No
SystemGroup root
"""


@dataclass
class CupsServer:
    """A running private scheduler: its address, its queue and where finished jobs land."""

    process: subprocess.Popen
    root: Path
    address: str
    queue: str
    output_folder: Path

    def env(self) -> dict[str, str]:
        """Environment that points libcups (and so Qt) at this scheduler only."""
        return {**os.environ, "CUPS_SERVER": self.address}

    def error_log(self) -> str:
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_finished_job(self, timeout: float = 180.0) -> str:
        """Wait until the queue has no pending job and at least one finished one; returns its state line."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pending = self._lpstat("-W", "not-completed", "-o", self.queue)
            finished = self._lpstat("-W", "completed", "-o", self.queue)
            if not pending.strip() and finished.strip():
                return finished
            time.sleep(0.5)
        raise TimeoutError("the print job did not finish; scheduler log:\n" + self.error_log()[-3000:])

    def _lpstat(self, *args: str) -> str:
        return subprocess.run(["lpstat", *args], env=self.env(), capture_output=True, text=True, timeout=30).stdout

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def unavailable_reason() -> str | None:
    """Why this machine cannot run the test, or None when it can."""
    for path in (CUPSD, CUPS_PDF_BACKEND, CUPS_PDF_PPD):
        if not path.exists():
            return f"{path} is missing; run `make system-deps` as root"
    if shutil.which(LPADMIN) is None:
        return "lpadmin is missing; run `make system-deps` as root"
    if os.geteuid() != 0:
        # The cups-pdf backend is root-only (mode 0700), so a scheduler run by another user cannot use it.
        return "the cups-pdf backend only runs under a scheduler started by root"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(port: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    """Poll until cupsd accepts connections; the limit only stops a scheduler that never comes up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"cupsd exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("cupsd did not start listening in time")


def start() -> CupsServer:
    """Start cupsd in a new folder on a free loopback port and add the cups-pdf queue.

    The folder is made outside pytest's private (0700) temporary tree: CUPS runs its filters as the
    unprivileged `lp` user, which must be able to reach the scheduler's temporary folder.
    """
    root = Path(tempfile.mkdtemp(prefix="handout-cups-"))
    root.chmod(0o755)
    for sub in ("spool", "cache", "state", "tmp", "log", "ppd"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "tmp").chmod(0o1777)
    port = _free_port()
    (root / "cupsd.conf").write_text(CUPSD_CONF.format(port=port))
    (root / "cups-files.conf").write_text(CUPS_FILES_CONF.format(root=root))
    process = subprocess.Popen(
        [str(CUPSD), "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    address = f"127.0.0.1:{port}"
    server = CupsServer(process, root, address, QUEUE, Path(pwd.getpwuid(os.geteuid()).pw_dir) / "PDF")
    try:
        _wait_until_listening(port, process)
        subprocess.run(
            [LPADMIN, "-p", QUEUE, "-E", "-v", "cups-pdf:/", "-P", str(CUPS_PDF_PPD)],
            env=server.env(),
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except Exception:
        server.stop()
        raise
    return server
