"""How late polls are finalised by `votr daemon`, against the stock Huey consumer in the same run.

Run it from a virtualenv where the project was installed as a regular package
(`pip install .`, not `-e`), with that venv's Python: polls are created
in-process through the installed `votr_cli` (exactly what `votr create` does:
`newpoll.create_poll`, then `daemon.queue.request_close`), and the daemons run as
subprocesses of the `votr` script next to it:

    python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install .
    /tmp/bench-venv/bin/python bench/close_lateness.py          # ~5 minutes
    /tmp/bench-venv/bin/python bench/close_lateness.py --quick  # ~1.5 minutes, a smoke test
    /tmp/bench-venv/bin/python bench/close_lateness.py --load   # the load run, ~3 minutes

Two variants, one after the other (never concurrently), each in a fresh home:

- "votr": `votr --home H daemon --on-close HOOK`, where HOOK is a Python
  one-liner whose first statement records `time.time()` in $HOOKLOG;
- "stock": Huey's own `Consumer(huey, workers=2, worker_type="thread",
  periodic=False)` on the same `make_queue(H)` (stock scheduler_interval=1,
  max_delay=10, backoff=1.15; no hook, no heartbeat).

Workload: 50 polls whose deadlines are spread uniformly over 20 s starting 3 s
out (the burst), plus 5 created at once whose deadlines fall 75 s after the
burst's last one (after idle), so they fire when the consumer has sat idle long
enough for Huey's worker back-off to reach its maximum. Lateness per poll is
`finalized_at - closes_at` as stored in votr.db. Then each daemon sits idle for
30 s while its CPU time (/proc/PID/stat) and RSS (/proc/PID/status, sampled
each second) are read.

Floors, measured in the same run: one in-process finalise of a due poll
(`daemon.tasks.close_poll`: connect, finalise, commit), the lateness of an
ideal daemon that wakes exactly at the deadline; Python's spawn-to-first-
statement time (what a hook pays before it can record anything); and a bare
`python -c "import time; time.sleep(...)"` idling through the same window
(CPU and RSS floor).

Prints tables and rewrites the "Close lateness" section of bench/results.md.
Goals are printed as PASS/MISS text; nothing here is a test and nothing asserts.

`--load` runs the load run instead (issue 7), in one fresh home: 10,000 open
polls whose deadlines are hours away, created and queued before the daemon
starts; once `votr daemon` (no hook) has filed all their closes in its
schedule, 2,000 more polls whose deadlines are spread evenly over 60 s,
created and queued while it runs. Lateness of the 2,000 as above, beside the
in-process finalise floor measured in the same home (10,000 open polls in
it); then 30 s with nothing due, the daemon's CPU and RSS sampled beside the
sleeping-Python floor. It rewrites the "Close lateness under load" section.
`--load --quick` is a smoke test of it (1,000 open, 200 due over 15 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    default_votr,
    installed_votr,
    median,
    percentile,
    publish,
    ratio,
    run_facts,
    table,
    verdict,
)

SECTION = "Close lateness"
GOAL_P95_MS = 20.0
GOAL_MAX_MS = 100.0
GOAL_HOOK_MS = 250.0
GOAL_CPU_PCT = 1.0
GOAL_RSS_MB = 60.0

HOOK_CODE = (
    "import time; t = time.time(); import os; "
    "open(os.environ['HOOKLOG'], 'a').write(os.environ['VOTR_POLL_ID'] + ' ' + repr(t) + '\\n')"
)
STOCK_CODE = """
import sys
from pathlib import Path
from huey.consumer import Consumer
from votr_cli.daemon.queue import make_queue
huey = make_queue(Path(sys.argv[1]))
Consumer(huey, workers=2, worker_type="thread", periodic=False).run()
"""
SPAWN_PROBE = "import time; print(repr(time.time()))"


@dataclass(frozen=True)
class Plan:
    burst: int  # polls in the burst
    burst_first_s: float  # the first burst deadline, from creation
    burst_span_s: float  # burst deadlines spread uniformly over this
    after_idle: int  # polls closing after the idle gap
    idle_gap_s: float  # from the burst's last deadline to the first after-idle one
    idle_window_s: float  # CPU and RSS sampling window once everything is finalised


FULL = Plan(burst=50, burst_first_s=3.0, burst_span_s=20.0, after_idle=5, idle_gap_s=75.0, idle_window_s=30.0)
QUICK = Plan(burst=10, burst_first_s=3.0, burst_span_s=8.0, after_idle=3, idle_gap_s=19.0, idle_window_s=10.0)
AFTER_IDLE_SPREAD_S = 0.37  # between after-idle deadlines, so they fall at different scheduler phases


@dataclass
class Usage:
    cpu_pct: float  # of one core, over the window
    cpu_ms: float
    rss_max_mb: float  # max VmRSS sampled over the window
    hwm_mb: float  # VmHWM at the end: the peak over the process's life
    busiest_ms: float = 0.0  # CPU time in the busiest of the ~1 s steps of the window


@dataclass
class VariantResult:
    name: str
    lateness_ms: dict[str, list[float]] = field(default_factory=dict)  # group -> per poll
    hook_ms: list[float] = field(default_factory=list)
    usage: Usage | None = None
    floor_usage: Usage | None = None
    problems: list[str] = field(default_factory=list)


# -- /proc sampling ---------------------------------------------------------------------------------------------


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all its threads), in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted from `state`


def status_kb(pid: int, key: str) -> int:
    for entry in Path(f"/proc/{pid}/status").read_text().splitlines():
        if entry.startswith(key + ":"):
            return int(entry.split()[1])
    return 0


def sample_idle(pids: list[int], window_s: float) -> list[Usage]:
    """CPU % over `window_s` and RSS sampled each second, for each process at once."""
    tick = os.sysconf("SC_CLK_TCK")
    rss_max = dict.fromkeys(pids, 0)
    start_ticks = {pid: cpu_ticks(pid) for pid in pids}
    last_ticks, busiest = dict(start_ticks), dict.fromkeys(pids, 0)

    def step(pid: int) -> None:
        rss_max[pid] = max(rss_max[pid], status_kb(pid, "VmRSS"))
        now = cpu_ticks(pid)
        busiest[pid] = max(busiest[pid], now - last_ticks[pid])
        last_ticks[pid] = now

    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < window_s:
        for pid in pids:
            step(pid)
        time.sleep(min(1.0, window_s - elapsed))
    elapsed = time.monotonic() - start
    usages = []
    for pid in pids:
        step(pid)
        cpu_s = (last_ticks[pid] - start_ticks[pid]) / tick
        hwm_mb = status_kb(pid, "VmHWM") / 1024
        usages.append(
            Usage(100 * cpu_s / elapsed, 1000 * cpu_s, rss_max[pid] / 1024, hwm_mb, 1000 * busiest[pid] / tick)
        )
    return usages


# -- the store --------------------------------------------------------------------------------------------------


def stamp(text: str) -> float:
    """Epoch seconds of a stored ISO 8601 timestamp."""
    return dt.datetime.fromisoformat(text).timestamp()


def read_polls(home: Path) -> dict[int, tuple[str, str | None]]:
    conn = sqlite3.connect(f"file:{home / 'votr.db'}?mode=ro", uri=True, timeout=30)
    try:
        return {row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, closes_at, finalized_at FROM polls")}
    finally:
        conn.close()


def read_hooks(path: Path) -> dict[int, float]:
    if not path.exists():
        return {}
    started: dict[int, float] = {}
    for entry in path.read_text().splitlines():
        poll_id, _, at = entry.partition(" ")
        started.setdefault(int(poll_id), float(at))
    return started


def create_polls(home: Path, plan: Plan) -> dict[int, str]:
    """The burst and the after-idle polls, created the way `votr create` does; poll id -> group."""
    from votr_cli import newpoll, store
    from votr_cli.daemon.queue import request_close
    from votr_cli.timefmt import utcnow

    conn = store.connect(home)
    # Deadlines in whole milliseconds, as the store keeps them.
    now = utcnow()
    now = now.replace(microsecond=now.microsecond // 1000 * 1000)
    offsets = [
        ("burst", plan.burst_first_s + plan.burst_span_s * i / max(plan.burst - 1, 1)) for i in range(plan.burst)
    ]
    idle_first = plan.burst_first_s + plan.burst_span_s + plan.idle_gap_s
    offsets += [("after idle", idle_first + AFTER_IDLE_SPREAD_S * i) for i in range(plan.after_idle)]
    groups: dict[int, str] = {}
    for n, (group, offset) in enumerate(offsets):
        deadline = now + dt.timedelta(seconds=offset)
        poll = newpoll.create_poll(conn, f"Bench {n}", ["a", "b"], deadline, utcnow, "bench")
        problem = request_close(home, poll.id, poll.closes_at)
        if problem:
            sys.exit(problem)
        groups[poll.id] = group
    conn.close()
    took = (utcnow() - now).total_seconds()
    if took >= plan.burst_first_s:
        print(f"warning: creating the polls took {took:.1f} s, past the first deadline", file=sys.stderr)
    return groups


# -- floors -----------------------------------------------------------------------------------------------------


def finalise_floor(home: Path, polls_n: int = 20) -> tuple[list[float], list[float]]:
    """An ideal daemon that wakes exactly at the deadline, in-process: (lateness, whole step), in seconds.

    The step is the close task's (`daemon.tasks.close_poll`: connect, finalise,
    commit with fsync); lateness is when its clock stamps finalized_at, read
    here to the microsecond rather than from the millisecond-truncated store.
    """
    from votr_cli import lifecycle, newpoll, store
    from votr_cli.timefmt import from_iso, to_iso, utcnow

    stamps: list[dt.datetime] = []

    def clock() -> dt.datetime:
        stamps.append(utcnow())
        return stamps[-1]

    conn = store.connect(home)
    now = utcnow()
    deadline = now + dt.timedelta(seconds=1)
    fixed = lambda: now  # noqa: E731 - the core reads a clock; creating the floor polls pins it
    ids = [newpoll.create_poll(conn, f"Floor {i}", ["a", "b"], deadline, fixed, "bench").id for i in range(polls_n + 1)]
    conn.close()
    time.sleep(max(0.0, (deadline - utcnow()).total_seconds()) + 0.05)
    ended = from_iso(to_iso(deadline))
    late, steps = [], []
    for poll_id in ids:
        first = len(stamps)
        woke = utcnow()
        start = time.perf_counter()
        step = store.connect(home)
        done = lifecycle.finalize(step, poll_id, ended, clock)
        step.close()
        steps.append(time.perf_counter() - start)
        late.append((stamps[first] - woke).total_seconds())
        if done.state != "finalized":
            sys.exit(f"the floor's finalise of poll {poll_id} said {done.state!r}")
    return late[1:], steps[1:]  # the first one warmed up


def spawn_floor(python: str, cwd: Path, runs: int = 15) -> list[float]:
    """Seconds from asking for a Python process to its first statement: a hook's unavoidable start-up."""
    took = []
    for _ in range(runs):
        start = time.time()
        out = subprocess.run([python, "-c", SPAWN_PROBE], cwd=cwd, capture_output=True, text=True, check=True).stdout
        took.append(float(out) - start)
    return took


# -- the variants -----------------------------------------------------------------------------------------------


def wait_until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def daemon_running(votr: Path, home: Path) -> bool:
    done = subprocess.run(
        [str(votr), "--home", str(home), "status", "--json"], cwd=home, capture_output=True, text=True
    )
    return done.returncode == 0 and json.loads(done.stdout)["daemon"]["running"]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_variant(name: str, votr: Path, python: str, plan: Plan, root: Path, floor_python: str | None) -> VariantResult:
    home = root / name
    home.mkdir()
    hooklog = home / "hooks.log"
    env = dict(os.environ, VOTR_HOME=str(home), HOOKLOG=str(hooklog))
    if name == "votr":
        argv = [str(votr), "--home", str(home), "daemon", "--on-close", shlex.join([python, "-c", HOOK_CODE])]
    else:
        argv = [python, "-c", STOCK_CODE, str(home)]
    result = VariantResult(name)
    log_path = home / "daemon.log"
    print(f"[{name}] starting: {shlex.join(argv)}")
    with open(log_path, "w") as log:
        # cwd=home: from a source checkout, `python -c` would import votr_cli from the working directory.
        proc = subprocess.Popen(argv, cwd=home, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    floor_proc: subprocess.Popen | None = None
    try:
        if name == "votr":
            wait_until(lambda: daemon_running(votr, home), 20, "the votr daemon to report running")
        else:
            wait_until(lambda: (home / "queue.db").exists(), 20, "the stock consumer's queue.db")
            time.sleep(1.0)
        groups = create_polls(home, plan)
        last = max(stamp(closes) for closes, _ in read_polls(home).values())
        print(f"[{name}] {len(groups)} polls created; the last closes in {last - time.time():.0f} s")

        def all_finalised() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"the {name} daemon exited with {proc.returncode}; see its log below")
            return all(fin for _, fin in read_polls(home).values())

        wait_until(all_finalised, last - time.time() + 60, "every poll to be finalised")
        if name == "votr":
            wait_until(lambda: len(read_hooks(hooklog)) >= len(groups), 60, "every on-close hook")
        stored = read_polls(home)
        hooks = read_hooks(hooklog)
        for poll_id, group in groups.items():
            closes, fin = stored[poll_id]
            assert fin is not None
            result.lateness_ms.setdefault(group, []).append(1000 * (stamp(fin) - stamp(closes)))
            if poll_id in hooks:
                result.hook_ms.append(1000 * (hooks[poll_id] - stamp(closes)))
        pids = [proc.pid]
        if floor_python is not None:
            sleep_s = plan.idle_window_s + 10
            floor_proc = subprocess.Popen([floor_python, "-c", f"import time; time.sleep({sleep_s})"], cwd=home)
            pids.append(floor_proc.pid)
        time.sleep(1.0)  # let the last hook's bookkeeping and the floor's start-up finish
        print(f"[{name}] all finalised; idle for {plan.idle_window_s:.0f} s while sampling CPU and RSS")
        usages = sample_idle(pids, plan.idle_window_s)
        result.usage = usages[0]
        if floor_proc is not None:
            result.floor_usage = usages[1]
    except (TimeoutError, RuntimeError) as exc:
        result.problems.append(str(exc))
    finally:
        if floor_proc is not None:
            floor_proc.kill()
            floor_proc.wait()
        stop(proc)
    for entry in log_path.read_text(errors="replace").splitlines():
        if " WARNING " in entry or " ERROR " in entry or "Traceback" in entry:
            result.problems.append(entry.strip())
    if result.problems:
        print(f"[{name}] problems:\n  " + "\n  ".join(result.problems[:20]), file=sys.stderr)
        print(f"[{name}] log tail:\n" + "\n".join(log_path.read_text().splitlines()[-20:]), file=sys.stderr)
    return result


# -- the report -------------------------------------------------------------------------------------------------


def fmt(ms: float) -> str:
    return f"{ms:.0f}" if abs(ms) >= 100 else f"{ms:.1f}"


def lateness_table(results: list[VariantResult], floor_ms: float) -> str:
    stock = next((r for r in results if r.name == "stock"), None)
    rows = []
    for group in ("burst", "after idle"):
        for res in results:
            values = res.lateness_ms.get(group, [])
            if not values:
                rows.append([res.name, group, 0, "-", "-", "-", "-", "-", "no data"])
                continue
            p50, p95, top = median(values), percentile(values, 95), max(values)
            ref = stock.lateness_ms.get(group) if stock else None
            vs_stock = ratio(p95, percentile(ref, 95)) if ref and res is not stock else ""
            goal = "reference"
            if res.name == "votr":
                goal = (
                    f"p95 ≤ {GOAL_P95_MS:.0f}: {verdict(p95 <= GOAL_P95_MS)}, "
                    f"max ≤ {GOAL_MAX_MS:.0f}: {verdict(top <= GOAL_MAX_MS)}"
                )
            rows.append(
                [res.name, group, len(values), fmt(p50), fmt(p95), fmt(top), ratio(p95, floor_ms), vs_stock, goal]
            )
    return table(
        ["variant", "group", "polls", "p50 ms", "p95 ms", "max ms", "p95 × floor", "p95 × stock", "goal"], rows
    )


def hook_table(res: VariantResult, spawn_ms: list[float]) -> str:
    spawn_p50 = median(spawn_ms)
    rows = [
        [
            "floor: python spawn → first statement",
            len(spawn_ms),
            fmt(spawn_p50),
            fmt(percentile(spawn_ms, 95)),
            fmt(max(spawn_ms)),
            "1.00×",
            "",
        ]
    ]
    if res.hook_ms:
        p50, p95, top = median(res.hook_ms), percentile(res.hook_ms, 95), max(res.hook_ms)
        rows.append(
            [
                "votr: hook started − closes_at",
                len(res.hook_ms),
                fmt(p50),
                fmt(p95),
                fmt(top),
                ratio(p50, spawn_p50),
                f"max ≤ {GOAL_HOOK_MS:.0f}: {verdict(top <= GOAL_HOOK_MS)}",
            ]
        )
    return table(["what", "n", "p50 ms", "p95 ms", "max ms", "p50 × floor", "goal"], rows)


def usage_table(results: list[VariantResult], window_s: float) -> str:
    floor = next((r.floor_usage for r in results if r.floor_usage), None)
    rows = []
    entries: list[tuple[str, Usage | None, bool]] = [(f"{r.name} daemon", r.usage, r.name == "votr") for r in results]
    entries.append(('floor: python -c "import time; time.sleep(...)"', floor, False))
    for label, use, has_goal in entries:
        if use is None:
            rows.append([label, "-", "-", "-", "-", "-", "no data"])
            continue
        goal = ""
        if has_goal:
            goal = (
                f"CPU ≤ {GOAL_CPU_PCT:.0f} %: {verdict(use.cpu_pct <= GOAL_CPU_PCT)}, "
                f"RSS ≤ {GOAL_RSS_MB:.0f} MB: {verdict(use.rss_max_mb <= GOAL_RSS_MB)}"
            )
        elif not label.startswith("floor"):
            goal = "reference"
        rows.append(
            [
                label,
                f"{use.cpu_pct:.2f}",
                f"{use.cpu_ms:.0f}",
                f"{use.rss_max_mb:.1f}",
                ratio(use.rss_max_mb, floor.rss_max_mb) if floor else "n/a",
                f"{use.hwm_mb:.1f}",
                goal,
            ]
        )
    headers = ["process", f"CPU % of a core ({window_s:.0f} s)", "CPU ms", "max RSS MB", "RSS × floor"]
    return table([*headers, "peak RSS MB", "goal"], rows)


# -- the load run (issue 7) -------------------------------------------------------------------------------------

SECTION_LOAD = "Close lateness under load"
GOAL_LOAD_P99_MS = 20.0
GOAL_LOAD_MAX_MS = 100.0
GOAL_LOAD_CPU_PCT = 0.5
GOAL_LOAD_RSS_MB = 60.0


@dataclass(frozen=True)
class LoadPlan:
    open_polls: int  # open throughout: deadlines hours away, spread over an hour
    open_for_h: float  # the first open poll's deadline, from its creation
    due: int  # polls whose deadlines fall in the window
    due_span_s: float  # their deadlines spread evenly over this
    idle_window_s: float  # CPU and RSS sampling once the due polls are finalised and nothing else is due


LOAD = LoadPlan(open_polls=10_000, open_for_h=6.0, due=2_000, due_span_s=60.0, idle_window_s=30.0)
LOAD_QUICK = LoadPlan(open_polls=1_000, open_for_h=6.0, due=200, due_span_s=15.0, idle_window_s=10.0)


@dataclass
class LoadResult:
    lateness_ms: list[float] = field(default_factory=list)
    floor_late_ms: list[float] = field(default_factory=list)
    floor_step_ms: list[float] = field(default_factory=list)
    steps: list[tuple[str, str]] = field(default_factory=list)  # the run's own set-up, for the record
    latest: list[tuple[float, float]] = field(default_factory=list)  # the latest closes: (ms late, s into the window)
    usage: Usage | None = None
    floor_usage: Usage | None = None
    problems: list[str] = field(default_factory=list)


def whole_ms(at: dt.datetime) -> dt.datetime:
    """Deadlines in whole milliseconds, as the store keeps them."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def create_many(home: Path, title: str, deadlines: list[dt.datetime]) -> tuple[list[int], float]:
    """Polls created and their closes queued one by one, as `votr create` does; (ids, smallest margin in s).

    The margin is how long before its deadline each close was in the queue:
    if it ever nears zero, the bench itself made a poll late.
    """
    from votr_cli import newpoll, store
    from votr_cli.daemon.queue import request_close
    from votr_cli.timefmt import utcnow

    conn = store.connect(home)
    ids: list[int] = []
    margin = float("inf")
    try:
        for n, deadline in enumerate(deadlines):
            poll = newpoll.create_poll(conn, f"{title} {n}", ["a", "b"], deadline, utcnow, "bench")
            problem = request_close(home, poll.id, poll.closes_at)
            if problem:
                raise RuntimeError(problem)
            margin = min(margin, (poll.closes_at - utcnow()).total_seconds())
            ids.append(poll.id)
    finally:
        conn.close()
    return ids, margin


def queue_counts(home: Path) -> tuple[int, int]:
    """(tasks waiting in the queue, tasks filed in the schedule) of a home's queue.db, read-only."""
    conn = sqlite3.connect(f"file:{home / 'queue.db'}?mode=ro", uri=True, timeout=30)
    try:
        return (
            conn.execute("SELECT count(*) FROM task").fetchone()[0],
            conn.execute("SELECT count(*) FROM schedule").fetchone()[0],
        )
    finally:
        conn.close()


def finalised_among(home: Path, ids: list[int]) -> int:
    """How many of `ids` (consecutive poll numbers) are finalised; one cheap read, so it can be polled."""
    conn = sqlite3.connect(f"file:{home / 'votr.db'}?mode=ro", uri=True, timeout=30)
    try:
        sql = "SELECT count(*) FROM polls WHERE id BETWEEN ? AND ? AND finalized_at IS NOT NULL"
        return conn.execute(sql, (ids[0], ids[-1])).fetchone()[0]
    finally:
        conn.close()


def load_average() -> str:
    """The 1-minute load average: on a shared machine, whether something else was running."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "?"


def consecutive(ids: list[int]) -> bool:
    return ids == list(range(ids[0], ids[0] + len(ids)))


def alive(proc: subprocess.Popen) -> bool:
    if proc.poll() is not None:
        raise RuntimeError(f"the daemon exited with {proc.returncode}; see its log below")
    return True


def run_load(votr: Path, python: str, plan: LoadPlan, root: Path) -> LoadResult:
    """The load run in a fresh home; never raises for what the daemon does, it notes it in `problems`."""
    from votr_cli.timefmt import utcnow

    home = root / "load"
    home.mkdir()
    result = LoadResult()

    def step(what: str, value: str) -> None:
        result.steps.append((what, value))
        print(f"[load] {what}: {value}")

    print(f"[load] creating {plan.open_polls:,} open polls and queueing their closes (no daemon yet) ...")
    began = time.monotonic()
    first = whole_ms(utcnow()) + dt.timedelta(hours=plan.open_for_h)
    spread = 3600.0 / plan.open_polls
    open_ids, _ = create_many(home, "Open", [first + dt.timedelta(seconds=spread * i) for i in range(plan.open_polls)])
    per_poll_s = (time.monotonic() - began) / plan.open_polls
    step(f"create + queue {plan.open_polls:,} open polls, daemon not running", f"{time.monotonic() - began:.1f} s")
    step("… per poll (create_poll + request_close)", f"{1000 * per_poll_s:.2f} ms")

    print("[load] measuring the finalise floor in this home ...")
    floor_late_s, floor_step_s = finalise_floor(home)
    result.floor_late_ms = [1000 * s for s in floor_late_s]
    result.floor_step_ms = [1000 * s for s in floor_step_s]

    argv = [str(votr), "--home", str(home), "daemon"]
    log_path = home / "daemon.log"
    print(f"[load] starting: {shlex.join(argv)}")
    with open(log_path, "w") as log:
        # cwd=home: from a source checkout, `python -c` would import votr_cli from the working directory.
        proc = subprocess.Popen(
            argv,
            cwd=home,
            env=dict(os.environ, VOTR_HOME=str(home)),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    floor_proc: subprocess.Popen | None = None
    try:
        started = time.monotonic()
        wait_until(lambda: alive(proc) and daemon_running(votr, home), 60, "the daemon to report running")
        step("daemon start → `votr status` says running", f"{time.monotonic() - started:.1f} s")

        def settled() -> bool:
            pending, scheduled = queue_counts(home)
            return alive(proc) and pending == 0 and scheduled >= plan.open_polls

        wait_until(settled, 120, f"the daemon to file the {plan.open_polls:,} queued closes in its schedule")
        step("daemon start → every queued close filed in its schedule", f"{time.monotonic() - started:.1f} s")

        # Room to create them all before the first deadline; each is queued well before its own anyway.
        lead_s = 1.5 * per_poll_s * plan.due + 2.0
        first = whole_ms(utcnow()) + dt.timedelta(seconds=lead_s)
        gap = plan.due_span_s / max(plan.due - 1, 1)
        deadlines = [first + dt.timedelta(seconds=gap * i) for i in range(plan.due)]
        print(f"[load] creating {plan.due:,} polls due over {plan.due_span_s:.0f} s, the first in {lead_s:.1f} s ...")
        began = time.monotonic()
        due_ids, margin = create_many(home, "Due", deadlines)
        step(f"create + queue {plan.due:,} due polls, daemon running", f"{time.monotonic() - began:.1f} s")
        step("… smallest margin: close queued → its deadline", f"{margin:.2f} s")
        if utcnow() > first:
            result.problems.append(
                f"creating the due polls ran {(utcnow() - first).total_seconds():.1f} s past the first deadline"
            )
        if not consecutive(due_ids) or not consecutive(open_ids):
            raise RuntimeError("poll numbers were not consecutive: something else wrote this home")
        last = deadlines[-1].timestamp()
        load_before = load_average()

        wait_until(
            lambda: alive(proc) and finalised_among(home, due_ids) == len(due_ids),
            last - time.time() + 60,
            f"all {plan.due:,} due polls to be finalised",
        )
        step("last deadline → all due polls finalised", f"{time.time() - last:.2f} s")
        step("load average (1 min): due polls created → all finalised", f"{load_before} → {load_average()}")
        stored = read_polls(home)
        late_at = []
        for poll_id in due_ids:
            closes, fin = stored[poll_id]
            assert fin is not None
            result.lateness_ms.append(1000 * (stamp(fin) - stamp(closes)))
            late_at.append((result.lateness_ms[-1], stamp(closes) - first.timestamp()))
        result.latest = sorted(late_at, reverse=True)[:5]
        wrongly = sum(1 for poll_id in open_ids if stored[poll_id][1] is not None)
        if wrongly:
            result.problems.append(f"{wrongly} of the open polls (deadlines hours away) were finalised")

        floor_proc = subprocess.Popen([python, "-c", f"import time; time.sleep({plan.idle_window_s + 10})"], cwd=home)
        time.sleep(1.0)  # the last close's bookkeeping, and the floor's start-up
        print(f"[load] {plan.open_polls:,} polls open, none due: idle for {plan.idle_window_s:.0f} s, sampling")
        result.usage, result.floor_usage = sample_idle([proc.pid, floor_proc.pid], plan.idle_window_s)
    except (TimeoutError, RuntimeError) as exc:
        result.problems.append(str(exc))
    finally:
        if floor_proc is not None:
            floor_proc.kill()
            floor_proc.wait()
        stopping = time.monotonic()
        stop(proc)
        took = time.monotonic() - stopping
        step("SIGTERM → daemon exited", f"{took:.1f} s, status {proc.returncode}")
        if took > 5:
            result.problems.append(f"the daemon took {took:.1f} s to stop after SIGTERM")
    noted = [
        line.strip()
        for line in log_path.read_text(errors="replace").splitlines()
        if " WARNING " in line or " ERROR " in line or "Traceback" in line
    ]
    result.problems += noted[:10] + ([f"... and {len(noted) - 10} more warning lines"] if len(noted) > 10 else [])
    if result.problems:
        print("[load] problems:\n  " + "\n  ".join(result.problems), file=sys.stderr)
        print("[load] log tail:\n" + "\n".join(log_path.read_text().splitlines()[-20:]), file=sys.stderr)
    return result


def load_lateness_table(res: LoadResult) -> str:
    floor_p50 = median(res.floor_late_ms)
    rows = []
    for label, values, has_goal in (
        ("floor: in-process finalise, stamp − wake", res.floor_late_ms, False),
        ("votr daemon: finalized_at − closes_at", res.lateness_ms, True),
    ):
        if not values:
            rows.append([label, 0, "-", "-", "-", "-", "-", "no data"])
            continue
        p99, top = percentile(values, 99), max(values)
        goal = ""
        if has_goal:
            goal = (
                f"p99 ≤ {GOAL_LOAD_P99_MS:.0f}: {verdict(p99 <= GOAL_LOAD_P99_MS)}, "
                f"max ≤ {GOAL_LOAD_MAX_MS:.0f}: {verdict(top <= GOAL_LOAD_MAX_MS)}"
            )
        p50, p95 = median(values), percentile(values, 95)
        rows.append([label, len(values), fmt(p50), fmt(p95), fmt(p99), fmt(top), ratio(p99, floor_p50), goal])
    return table(["what", "polls", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99 × floor p50", "goal"], rows)


def load_usage_table(res: LoadResult, plan: LoadPlan) -> str:
    floor = res.floor_usage
    rows = []
    for label, use, has_goal in (
        (f"votr daemon, {plan.open_polls:,} open polls", res.usage, True),
        ('floor: python -c "import time; time.sleep(...)"', floor, False),
    ):
        if use is None:
            rows.append([label, "-", "-", "-", "-", "-", "-", "no data"])
            continue
        goal = ""
        if has_goal:
            goal = (
                f"CPU ≤ {GOAL_LOAD_CPU_PCT:g} %: {verdict(use.cpu_pct <= GOAL_LOAD_CPU_PCT)}, "
                f"RSS ≤ {GOAL_LOAD_RSS_MB:.0f} MB: {verdict(use.rss_max_mb <= GOAL_LOAD_RSS_MB)}"
            )
        rows.append(
            [
                label,
                f"{use.cpu_pct:.2f}",
                f"{use.cpu_ms:.0f}",
                f"{use.busiest_ms:.0f}",
                f"{use.rss_max_mb:.1f}",
                ratio(use.rss_max_mb, floor.rss_max_mb) if floor else "n/a",
                f"{use.hwm_mb:.1f}",
                goal,
            ]
        )
    headers = ["process", f"CPU % of a core ({plan.idle_window_s:.0f} s)", "CPU ms", "busiest 1 s, CPU ms"]
    return table([*headers, "max RSS MB", "RSS × floor", "peak RSS MB", "goal"], rows)


def main_load(votr: Path, python: str, plan: LoadPlan, write: bool) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="votr-bench-") as tmp:
        root = Path(tmp)
        facts = run_facts(root, votr)
        res = run_load(votr, python, plan, root)
    floor_ms = median(res.floor_late_ms) if res.floor_late_ms else float("nan")
    latest = []
    if res.latest:
        late = ", ".join(f"{fmt(ms)} ms (deadline {at:.1f} s into the window)" for ms, at in res.latest)
        latest = [f"The latest closes: {late}.", ""]
    body = "\n".join(
        [
            *facts,
            f"- Interpreter for the floors: `{python}`",
            f"- Plan: one home; {plan.open_polls:,} open polls with deadlines {plan.open_for_h:g}–"
            f"{plan.open_for_h + 1:g} h out, created and queued before the daemon starts; once it has filed their "
            f"closes in its schedule, {plan.due:,} polls due evenly over {plan.due_span_s:.0f} s, created and queued "
            f"while it runs (`newpoll.create_poll`, then `daemon.queue.request_close`, as `votr create` does); then "
            f"{plan.idle_window_s:.0f} s with nothing due. The daemon is `votr daemon` with its defaults (2 "
            f"workers, no on-close hook). This run took {(time.monotonic() - started) / 60:.1f} min.",
            "",
            "### Lateness under load",
            "",
            load_lateness_table(res),
            "",
            f"Floor: an ideal daemon waking exactly at the deadline, in-process, doing what the close task does "
            f"(connect, `lifecycle.finalize`) in this same home with its {plan.open_polls:,} open polls, before the "
            f"daemon started: its clock stamps finalized_at {fmt(floor_ms)} ms after waking, median; the whole "
            + (
                f"step, commit and fsync included, takes {fmt(median(res.floor_step_ms))} ms. "
                if res.floor_step_ms
                else "step: no data. "
            )
            + "The store keeps finalized_at truncated to the millisecond, so the daemon's figures read 0–1 ms "
            "low against this floor.",
            "",
            *latest,
            f"### Idle with {plan.open_polls:,} open polls, none due",
            "",
            load_usage_table(res, plan),
            "",
            "CPU from /proc/PID/stat (utime+stime of all threads, "
            f"{1000 / os.sysconf('SC_CLK_TCK'):.0f} ms ticks) at the window's ends, and between ~1 s samples for "
            "the busiest second; max RSS is VmRSS sampled each second (the last sample at the window's end); peak "
            "RSS is VmHWM at the end (the daemon's whole life: start-up with the queued closes and the load "
            "included). The floor process idled through the same window.",
            "",
            "### The run's own steps",
            "",
            table(["step", "took"], res.steps),
            *(["", "### Problems seen", "", *[f"- {p}" for p in res.problems]] if res.problems else []),
        ]
    )
    publish(SECTION_LOAD, body, write)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votr", type=Path, default=default_votr(), help="the installed votr script [%(default)s]")
    parser.add_argument("--quick", action="store_true", help="a smaller run for smoke-testing (~1.5 minutes)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    parser.add_argument(
        "--load",
        action="store_true",
        help="the load run instead: 10,000 open polls idle, 2,000 due over 60 s (~3 minutes; "
        "with --quick 1,000 and 200 over 15 s)",
    )
    args = parser.parse_args()
    votr, python = installed_votr(args.votr)
    if args.load:
        main_load(votr, python, LOAD_QUICK if args.quick else LOAD, write=not args.no_write)
        return
    plan = QUICK if args.quick else FULL
    started = time.monotonic()

    with tempfile.TemporaryDirectory(prefix="votr-bench-") as tmp:
        root = Path(tmp)
        facts = run_facts(root, votr)
        print("measuring the floors ...")
        floor_late_s, floor_step_s = finalise_floor(root / "floor")
        spawn_s = spawn_floor(python, root)
        results = [
            run_variant("votr", votr, python, plan, root, floor_python=python),
            run_variant("stock", votr, python, plan, root, floor_python=None),
        ]

    floor_late_ms = [1000 * s for s in floor_late_s]
    floor_step_ms = [1000 * s for s in floor_step_s]
    floor_ms = median(floor_late_ms)
    votr_result = results[0]
    problems = [f"- {r.name}: {p}" for r in results for p in r.problems]
    body = "\n".join(
        [
            *facts,
            f"- Interpreter for the stock consumer, the hook and the floors: `{python}`",
            f"- Plan: {plan.burst} polls with deadlines spread over {plan.burst_span_s:.0f} s starting "
            f"{plan.burst_first_s:.0f} s out (burst); {plan.after_idle} more closing {plan.idle_gap_s:.0f} s after "
            f"the burst's last deadline (after idle); then {plan.idle_window_s:.0f} s idle. Variants ran one after "
            f"the other; this run took {(time.monotonic() - started) / 60:.1f} min.",
            "",
            "### Lateness: finalized_at − closes_at",
            "",
            lateness_table(results, floor_ms),
            "",
            f"Floor: an ideal daemon waking exactly at the deadline, in-process, doing what the close task does "
            f"(connect, `lifecycle.finalize`): its clock stamps finalized_at {fmt(floor_ms)} ms after waking, median "
            f"(p95 {fmt(percentile(floor_late_ms, 95))} ms, {len(floor_late_ms)} polls); the whole step, commit "
            f"and fsync included, takes {fmt(median(floor_step_ms))} ms. The store keeps finalized_at truncated "
            "to the millisecond, so the daemons' figures read 0–1 ms low against this floor.",
            "",
            "### On-close hook (votr daemon): hook process's first statement − closes_at",
            "",
            hook_table(votr_result, [1000 * s for s in spawn_s]),
            "",
            "The hook's own Python start-up (the floor row) is included in the hook figures; subtract it to get the "
            "daemon's part.",
            "",
            "### Idle cost, once every poll is finalised",
            "",
            usage_table(results, plan.idle_window_s),
            "",
            "CPU from /proc/PID/stat (utime+stime of all threads, "
            f"{1000 / os.sysconf('SC_CLK_TCK'):.0f} ms ticks) at the window's ends; max RSS is VmRSS sampled "
            "each second; peak RSS is VmHWM at the end (the process's whole life, closes and hooks included). "
            "The floor process idled through the votr daemon's window.",
            *(["", "### Problems seen", "", *problems] if problems else []),
        ]
    )
    publish(SECTION, body, not args.no_write)


if __name__ == "__main__":
    main()
