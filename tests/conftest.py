from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from votr_cli.cli import cli

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own VOTR_HOME; none touches a real one."""
    path = tmp_path / "home"
    monkeypatch.setenv("VOTR_HOME", str(path))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "100")
    return path


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input)


def ok(*args: str, input: str | None = None) -> Result:
    """Run a command that must succeed, letting any exception through."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output + result.stderr
    return result


def ok_json(*args: str) -> dict:
    return json.loads(ok(*args, "--json").stdout)


def make_poll(*options: str, title: str = "Lunch?", closes_in: str = "2h") -> int:
    opts = [a for o in (options or ("Pizza", "Sushi")) for a in ("-o", o)]
    return ok_json("create", title, *opts, "--closes-in", closes_in)["id"]


def store_digest(home: Path) -> str:
    """A fingerprint of every row in votr.db, to prove a refused command changed nothing."""
    db = home / "votr.db"
    if not db.exists():
        return "absent"
    conn = sqlite3.connect(db)
    h = hashlib.sha256()
    try:
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            for row in conn.execute(f"SELECT * FROM [{name}] ORDER BY 1"):
                h.update(repr((name, row)).encode())
    except sqlite3.DatabaseError:
        return hashlib.sha256(db.read_bytes()).hexdigest()
    finally:
        conn.close()
    return h.hexdigest()


def old_store(home: Path, stop_before: str) -> sqlite3.Connection:
    """votr.db as an older votr left it: every schema step before `stop_before` applied, and no later one."""
    from sqlite_utils import Database

    from votr_cli.migrations import steps
    from votr_cli.store import APPLICATION_ID

    home.mkdir(exist_ok=True)
    conn = sqlite3.connect(home / "votr.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    steps.apply(Database(conn), stop_before=stop_before)
    version = [m.name for m in steps._migrations].index(stop_before)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


def votr_exe() -> str:
    """The installed entry point of the environment running the tests."""
    exe = BIN / "votr"
    assert exe.exists(), f"votr is not installed in {BIN}: pip install '.[test]'"
    return str(exe)


def subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, VOTR_HOME=str(home), NO_COLOR="1")
    env.update(extra)
    return env


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Poll until `condition()` is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)


class Terminal:
    """A command run on a real pseudo-terminal, its output read as it comes (the pty's buffer is small)."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        import pty
        import threading

        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(argv, env=env, stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        self.chunks: list[bytes] = []
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            self.chunks.append(data)

    def text(self) -> str:
        return b"".join(self.chunks).decode(errors="replace")

    def finish(self, timeout: float = 60) -> tuple[int, str]:
        """Wait for the command to end and for the rest of its output: (exit status, all it printed)."""
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)  # it ends once the command has exited and its output is read
        os.close(self.master)
        return code, self.text()


def terminal_env(home: Path, columns: str = "100") -> dict[str, str]:
    """The environment of a colour terminal COLUMNS wide (no NO_COLOR)."""
    env = subprocess_env(home, COLUMNS=columns, LINES="40")
    env.pop("NO_COLOR")
    return env


class Daemon:
    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.log_path = home.parent / f"daemon-{time.monotonic_ns()}.log"
        self.log = open(self.log_path, "w")
        self.launched = time.time()
        self.proc = subprocess.Popen(
            [votr_exe(), "daemon", *args], env=env or subprocess_env(home), stderr=self.log, stdin=subprocess.DEVNULL
        )

    def wait_ready(self) -> Daemon:
        def ready() -> bool:
            assert self.proc.poll() is None, f"daemon exited: {self.output()}"
            return ok_json("--home", str(self.home), "status")["daemon"]["pid"] == self.proc.pid

        wait_for(ready, 15, "daemon start")
        return self

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=10)
        self.log.close()
        return code


@pytest.fixture
def daemons(home: Path) -> Iterator[Callable[..., Daemon]]:
    started: list[Daemon] = []

    def start(*args: str, ready: bool = True, **kwargs: object) -> Daemon:
        d = Daemon(home, *args, **kwargs)  # type: ignore[arg-type]
        started.append(d)
        return d.wait_ready() if ready else d

    yield start
    for d in started:
        if d.proc.poll() is None:
            d.proc.kill()
            d.proc.wait()
        d.log.close()


class Accounts:
    """Two real accounts, votr-alice and votr-bob, in the group votr-team, and a way to run votr as each."""

    GROUP = "votr-team"
    NAMES = ("votr-alice", "votr-bob")

    def __init__(self, setpriv: str) -> None:
        self.setpriv = setpriv

    def run(self, who: str, home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.argv(who, "--home", str(home), *args),
            env=env or subprocess_env(home),
            capture_output=True,
            text=True,
            timeout=60,
            cwd="/",
        )

    def argv(self, who: str, *args: str) -> list[str]:
        return [self.setpriv, f"--reuid={who}", f"--regid={who}", "--init-groups", votr_exe(), *args]

    def shared_home(self, setgid: bool = True) -> Path:
        """A fresh group folder both accounts can write, in a place both can reach."""
        import grp
        import tempfile

        top = Path(tempfile.mkdtemp(prefix="votr-shared-", dir="/tmp"))
        top.chmod(0o755)
        home = top / "home"
        home.mkdir()
        os.chown(home, 0, grp.getgrnam(self.GROUP).gr_gid)
        home.chmod(0o2770 if setgid else 0o770)
        self.made.append(top)
        return home

    made: list[Path]


@pytest.fixture(scope="session")
def accounts_setup() -> Accounts:
    import shutil

    if os.geteuid() != 0:
        pytest.skip("needs root to create the two test accounts (useradd) and to run as them (setpriv)")
    setpriv, useradd, groupadd = shutil.which("setpriv"), shutil.which("useradd"), shutil.which("groupadd")
    if not (setpriv and useradd and groupadd):
        pytest.skip("needs util-linux's setpriv and useradd/groupadd to act as two accounts")
    import fcntl
    import grp
    import pwd

    # Tests run in parallel workers, each with its own session: one at a time adds the accounts.
    with open("/tmp/votr-test-accounts.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            grp.getgrnam(Accounts.GROUP)
        except KeyError:
            subprocess.run([groupadd, "--system", Accounts.GROUP], check=True)
        for name in Accounts.NAMES:
            try:
                pwd.getpwnam(name)
            except KeyError:
                subprocess.run(
                    [useradd, "--system", "--no-create-home", "--user-group", "-G", Accounts.GROUP, name], check=True
                )
    return Accounts(setpriv)


@pytest.fixture
def accounts(accounts_setup: Accounts) -> Iterator[Accounts]:
    import shutil

    accounts_setup.made = []
    yield accounts_setup
    for top in accounts_setup.made:
        shutil.rmtree(top, ignore_errors=True)
