"""`votr daemon`: one per home; reconcile, then run the consumer until a signal."""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

from .. import polls, store
from ..errors import VotrError
from ..timeparse import to_iso, utcnow
from . import heartbeat, tasks
from .queue import VotrHuey, make_queue, schedule_close

log = logging.getLogger("votr.daemon")

LOCK_NAME = "daemon.lock"
SHUTDOWN_GRACE_S = 4.0  # SIGTERM must end the daemon within 5 s


class AlreadyRunning(VotrError):
    pass


def take_lock(home: Path) -> int:
    """An exclusive lock on home/daemon.lock; the kernel drops it when we die, so it is never stale."""
    path = home / LOCK_NAME
    store.create_file(path, store.file_mode(home))
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise AlreadyRunning(f"a daemon is already running (pid {holder})") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


class _OneLineErrors(logging.Filter):
    """Huey logs a failing task with its traceback; a failing hook is one line in our log instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], tasks.HookFailed):
            return False
        return True


def setup_logging(log_file: Path | None, verbose: bool) -> None:
    fmt = logging.Formatter("%(asctime)s.%(msecs)03d %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        handlers.append(logging.FileHandler(log_file))
    root = logging.getLogger()
    for handler in handlers:
        handler.setFormatter(fmt)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("huey").setLevel(logging.DEBUG if verbose else logging.WARNING)
    logging.getLogger("huey").addFilter(_OneLineErrors())


def reconcile(huey: VotrHuey, conn: sqlite3.Connection) -> tuple[int, int]:
    """Invariant 3: finalise what is overdue now; give every open poll a pending close.

    Returns (overdue polls queued now, open polls that had lost their task).
    """
    queued = {
        (task.args[0], task.args[1])
        for task in [*huey.pending(), *huey.scheduled()]
        if type(task).__name__ == "close_poll" and len(task.args) == 2
    }
    now = utcnow()
    overdue = missing = 0
    for poll in polls.awaiting_close(conn):
        ended = poll.ended_at(now)
        if ended is not None:
            schedule_close(huey, poll.id, ended, due=True)
            overdue += 1
        elif (poll.id, to_iso(poll.closes_at)) not in queued:
            schedule_close(huey, poll.id, poll.closes_at)
            missing += 1
    return overdue, missing


def _open_queue(home: Path) -> VotrHuey:
    try:
        return make_queue(home)
    except sqlite3.DatabaseError as exc:
        # The queue is only a reminder (invariant 3): set a damaged one aside and start afresh.
        path = home / "queue.db"
        aside = path.with_name(f"queue.db.damaged-{int(time.time())}")
        log.warning("queue %s is damaged (%s); moved it to %s and starting a new one", path, exc, aside.name)
        path.rename(aside)
        return make_queue(home)


def _beat_until(stop: threading.Event, home: Path, started_at: object) -> None:
    conn = store.connect(home)
    try:
        while not stop.wait(heartbeat.BEAT_EVERY_S):
            try:
                heartbeat.beat(conn, utcnow(), started_at)  # type: ignore[arg-type]
            except sqlite3.Error as exc:
                log.warning("heartbeat not written: %s", exc)
    finally:
        conn.close()


def run_daemon(home: Path, workers: int, on_close: str | None, log_file: Path | None, verbose: bool = False) -> None:
    from .consumer import VotrConsumer

    conn = store.connect(home)
    lock_fd = take_lock(home)
    setup_logging(log_file, verbose)
    started_at = utcnow()
    huey = _open_queue(home)
    huey.on_close = on_close
    overdue, missing = reconcile(huey, conn)
    heartbeat.beat(conn, started_at, started_at)
    log.info(
        "votr daemon started: pid %s, home %s, %s worker(s); %s overdue poll(s) closing now, %s close(s) rescheduled",
        os.getpid(),
        home,
        workers,
        overdue,
        missing,
    )
    stop_beat = threading.Event()
    beater = threading.Thread(target=_beat_until, args=(stop_beat, home, started_at), name="heartbeat", daemon=True)
    beater.start()
    consumer = VotrConsumer(
        huey, workers=workers, worker_type="thread", shutdown_timeout=SHUTDOWN_GRACE_S, initial_delay=0.05
    )
    try:
        consumer.run()
    finally:
        tasks.kill_running_hooks()
        stop_beat.set()
        beater.join(timeout=2)
        heartbeat.clear(conn)
        conn.close()
        os.close(lock_fd)
        log.info("votr daemon stopped")


def systemd_unit(home: Path, on_close: str | None, workers: int) -> str:
    import shlex

    args = [sys.executable, "-m", "votr_cli", "--home", str(home.resolve()), "daemon", "--workers", str(workers)]
    if on_close:
        args += ["--on-close", on_close]
    return f"""[Unit]
Description=votr daemon: closes polls at their deadlines ({home})

[Service]
ExecStart={shlex.join(args)}
# votr stops gracefully on SIGTERM, finishing a running close.
KillSignal=SIGTERM
TimeoutStopSec=10
Restart=on-failure
RestartSec=2
UMask=0007

[Install]
WantedBy=default.target
"""
