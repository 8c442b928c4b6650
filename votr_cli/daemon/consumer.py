"""Huey's consumer, woken by events instead of fixed ticks.

The stock scheduler reads the schedule once a second and an idle worker backs
off to 10 s between looks at the queue, so a close lands 0.5-7 s late. Here
the scheduler sleeps until the next `eta` in the schedule (woken early when a
worker files an earlier task), moves due tasks to the queue and wakes the
workers at once. An idle worker asks SQLite whether anyone else wrote to the
queue (`PRAGMA data_version`, a read of shared memory) a few times a second,
which is how it notices tasks the CLI adds.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

from huey.api import Task
from huey.consumer import Consumer, Scheduler, Worker
from huey.signals import SIGNAL_ERROR, SIGNAL_SCHEDULED

from ..reminders import Reminder
from ..timefmt import from_iso
from .queue import VotrHuey, log, mark_hook
from .tasks import HookFailed, finish_reminder

IDLE_CHECK_S = 0.2  # how soon an idle worker sees a task the CLI queued
DUE_PRIORITY = 100  # above CLOSE_PRIORITY (10) and HOOK_PRIORITY (0)
MAX_SCHEDULER_SLEEP_S = 30.0  # a safety net; every schedule change wakes the scheduler anyway


class VotrWorker(Worker):
    wake: threading.Event

    def initialize(self) -> None:
        super().initialize()
        self._seen_version = self._data_version()

    def _data_version(self) -> int:
        # The storage shares one connection among the consumer's threads, so
        # this number moves only when another process (the CLI) commits.
        return self.huey.storage.sql("PRAGMA data_version", results=True)[0][0]

    def sleep(self) -> None:
        while not self.stop_flag.is_set():
            if self.wake.wait(IDLE_CHECK_S):
                self.wake.clear()
                return
            try:
                version = self._data_version()
            except Exception as exc:  # a locked or briefly unreadable queue must not kill the worker
                log.warning("cannot read the queue (%s); trying again", exc)
                self.stop_flag.wait(1)
                return
            if version != self._seen_version:
                self._seen_version = version
                return


class VotrScheduler(Scheduler):
    wake: threading.Event  # set when the schedule changes
    work: threading.Event  # set to wake the workers
    max_sleep: float = MAX_SCHEDULER_SLEEP_S

    def loop(self, now: object = None) -> None:
        self.wake.clear()
        try:
            # QueueStorage keeps the schedule in real Unix time, so the wall
            # clock compares with it directly whatever the local zone does.
            next_ts = self.huey.storage.next_due()
            if next_ts is not None and next_ts <= time.time():
                for task in self.huey.read_schedule():
                    # Ahead of everything else queued: a burst of new polls'
                    # closes waiting to be filed must not make a due close late.
                    task.priority = DUE_PRIORITY
                    self.huey.enqueue(task)
                self.work.set()
                return
        except Exception as exc:  # as the stock scheduler does: log, and try again shortly
            log.warning("cannot read the schedule (%s); trying again", exc)
            self.stop_flag.wait(1)
            return
        timeout = self.max_sleep
        if next_ts is not None:
            timeout = min(max(next_ts - time.time(), 0.0), self.max_sleep)
        self.wake.wait(timeout)


class VotrConsumer(Consumer):
    worker_class = VotrWorker
    scheduler_class = VotrScheduler
    on_started: Callable[[], None] | None = None

    def __init__(self, huey: VotrHuey, **options: object) -> None:
        self.work_wake = threading.Event()
        self.schedule_wake = threading.Event()
        options.setdefault("periodic", False)
        options.setdefault("check_worker_health", True)
        super().__init__(huey, **options)
        huey.wake_workers = self.work_wake
        # Both SIGTERM (systemd, kill) and SIGINT (Ctrl-C) stop gracefully,
        # letting a running close finish; a second signal interrupts.
        self._signal_actions[signal.SIGTERM] = (False, True)
        self._signal_actions[signal.SIGINT] = (False, True)
        # No Huey re-exec on SIGHUP: a daemon under a terminal just stops.
        if hasattr(signal, "SIGHUP"):
            self._signal_actions[signal.SIGHUP] = (False, True)

        @huey.signal(SIGNAL_SCHEDULED)
        def _schedule_changed(signal_name: str, task: object, *args: object, **kwargs: object) -> None:
            self.schedule_wake.set()

        @huey.signal(SIGNAL_ERROR)
        def _task_failed(signal_name: str, task: Task, exc: BaseException, *args: object, **kwargs: object) -> None:
            then = f"retrying in {task.retry_delay:g} s" if task.retries else "giving up"
            if isinstance(exc, HookFailed):
                log.warning("%s; %s", exc, then)
            else:
                log.error("task %s failed; %s", task, then, exc_info=exc)
            if type(task).__name__ == "run_hook" and not task.retries:
                mark_hook(huey.home, *task.args, "failed")
            if type(task).__name__ == "remind_hook" and not task.retries:
                poll_id, before_s, due_at = task.args
                finish_reminder(huey.home, Reminder(poll_id, before_s, from_iso(due_at)), "failed")

    def _create_worker(self) -> VotrWorker:
        worker = super()._create_worker()
        worker.wake = self.work_wake
        return worker

    def _create_scheduler(self) -> VotrScheduler:
        scheduler = super()._create_scheduler()
        scheduler.wake = self.schedule_wake
        scheduler.work = self.work_wake
        return scheduler

    def start(self) -> None:
        super().start()
        # Only now are the signal handlers in place: announce the daemon (its
        # heartbeat) no earlier, so whoever sees it can stop it cleanly.
        if self.on_started is not None:
            self.on_started()

    def stop(self, graceful: bool = False) -> None:
        self.stop_flag.set()
        self.schedule_wake.set()
        self.work_wake.set()
        super().stop(graceful)
