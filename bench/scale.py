"""votr at size: 10,000 polls and 1,000,000 ballots, against a 10-poll home measured in the same run.

Run it from a virtualenv where the project was installed as a regular package:

    python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install .
    /tmp/bench-venv/bin/python bench/scale.py            # or --runs 15, --votr PATH

Two homes, filled by direct inserts into a store votr made (schema and all):

- big: 10,000 open polls; poll 1 holds 100,090 ballots, the other 9,999 hold
  90 each (1,000,000 in all), each poll with its `created` event;
- small: 10 open polls; poll 1 the same 100,090 ballots, the others 90 each.

Then, interleaved round by round with the floors (`python -c "import sqlite3"`
and `python -c "import click, sqlite3"`): `votr list`, `votr list --json`,
`votr show 1` and `votr vote 1` (a new voter each run) in each home. Once
each: the largest memory of `list --json --limit 0` and `export --all`;
`votr import` of 10,000 ranked ballots (5 runs, into new polls); the
daemon's start (to its first heartbeat) with 10,000 closes to queue, then
again with them queued, and its RSS; how soon `votr watch` shows a vote made
by another process; `votr watch 1` idle for 10 s (CPU); and
EXPLAIN QUERY PLAN of the queries on these paths.

Prints tables and rewrites the "Scale" section of bench/results.md. Goals are
printed as PASS/MISS; nothing asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    default_votr,
    installed_votr,
    median,
    ms,
    percentile,
    publish,
    ratio,
    run_facts,
    run_once,
    table,
    time_processes,
    verdict,
)

SECTION = "Scale"
BIG_POLLS, SMALL_POLLS = 10_000, 10
OTHERS = 90
LARGEST = 1_000_000 - (BIG_POLLS - 1) * OTHERS  # 100,090: a million ballots in the big home


@dataclass(frozen=True)
class Case:
    name: str
    argv: object  # run number -> command line
    home: Path


def fill(home: Path, polls_n: int) -> None:
    """Polls, options, ballots and events straight into a store votr created."""
    from votr_cli import store
    from votr_cli.accounts import current
    from votr_cli.timefmt import to_iso, utcnow

    me = current()  # the polls' creator, who may then vote for the bench's made-up voters
    conn = store.connect(home)
    conn.close()
    conn = sqlite3.connect(home / "votr.db", isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    now = utcnow()
    created = to_iso(now)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO polls (id, title, created_at, created_by, closes_at) VALUES (?, ?, ?, ?, ?)",
        [(i, f"Poll {i}", created, me, to_iso(now + dt.timedelta(days=1, seconds=i))) for i in range(1, polls_n + 1)],
    )
    conn.executemany(
        "INSERT INTO options (poll_id, number, name) VALUES (?, ?, ?)",
        [(i, n, name) for i in range(1, polls_n + 1) for n, name in enumerate(("Pizza", "Sushi", "Tacos"), 1)],
    )
    conn.executemany(
        """INSERT INTO events (poll_id, kind, actor, account, at, detail)
           VALUES (?, 'created', 'bench', 'bench', ?, NULL)""",
        [(i, created) for i in range(1, polls_n + 1)],
    )

    def ballots():  # noqa: ANN202 - rows
        for i in range(1, polls_n + 1):
            for v in range(LARGEST if i == 1 else OTHERS):
                yield (i, f"v{v}", f"v{v}", "bench", str(1 + v % 3), created)

    conn.executemany(
        "INSERT INTO ballots (poll_id, voter, voter_key, account, choice, cast_at) VALUES (?, ?, ?, ?, ?, ?)", ballots()
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def import_seconds(votr: Path, home: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds of `votr import` of 10,000 ranked ballots into a fresh ranked poll, and of `votr show` of one after."""
    import csv
    import random

    rng = random.Random(7)
    path = home.parent / "ranked-10000.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["voter", "cast_at", *(f"choice_{i}" for i in range(1, 6))])
        for n in range(10_000):
            order = ["Mon", "Tue", "Wed", "Thu", "Fri"]
            rng.shuffle(order)
            out.writerow([f"voter {n}", "", *order[: rng.randint(1, 5)]])
    took, shown = [], []
    for i in range(runs):
        created = subprocess.run(
            [str(votr), "--home", str(home), "create", f"Import {i}", *[a for d in ("Mon", "Tue", "Wed", "Thu", "Fri")
             for a in ("-o", d)], "--method", "ranked", "--json"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        pid = created.stdout.split('"id": ', 1)[1].split(",", 1)[0]
        took.append(run_once([str(votr), "import", pid, str(path)], home))
        shown.append(run_once([str(votr), "show", pid], home))
    return took, shown


def max_rss_mb(argv: list[str], home: Path) -> tuple[float, float]:
    """(largest RSS in MB, seconds) of one whole process, its output thrown away."""
    env = dict(os.environ, VOTR_HOME=str(home))
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=home.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"{argv!r} failed with {proc.returncode}")
    return usage.ru_maxrss / 1024, elapsed


def daemon_start(votr: Path, home: Path) -> tuple[float, float]:
    """(seconds from launch to the first heartbeat, RSS MB two seconds later); stops the daemon by its pid."""
    log = open(home.parent / f"daemon-{time.monotonic_ns()}.log", "w")
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(votr), "--home", str(home), "daemon"], stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL
    )
    try:
        conn = sqlite3.connect(home / "votr.db", timeout=30)
        while True:
            row = conn.execute("SELECT pid FROM daemon").fetchone()
            if row is not None and row[0] == proc.pid:
                break
            if proc.poll() is not None or time.perf_counter() - start > 120:
                sys.exit(f"the daemon did not start; see {log.name}")
            time.sleep(0.01)
        conn.close()
        ready = time.perf_counter() - start
        time.sleep(2)
        rss = next(
            int(line.split()[1]) / 1024 for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )  # fmt: skip
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    return ready, rss


def watch_cpu(votr: Path, home: Path, seconds: float) -> float:
    """Per cent of one core `votr watch 1` uses while nothing happens."""
    proc = subprocess.Popen(
        [str(votr), "--home", str(home), "watch", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(2)  # past its start-up
        ticks = os.sysconf("SC_CLK_TCK")

        def cpu() -> float:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / ticks

        before, t0 = cpu(), time.perf_counter()
        time.sleep(seconds)
        used, wall = cpu() - before, time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    return 100 * used / wall


def watch_delay(votr: Path, home: Path, votes: int) -> list[float]:
    """Seconds from a `votr vote` (another process) returning to `votr watch`'s line about it."""
    import queue
    import threading

    proc = subprocess.Popen(
        [str(votr), "--home", str(home), "watch", "2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put((time.perf_counter(), line))

    threading.Thread(target=read, daemon=True).start()
    delays = []
    try:
        lines.get(timeout=30)  # its first line
        for i in range(votes):
            subprocess.run(
                [str(votr), "--home", str(home), "vote", "2", "1", "--voter", f"watched-{i}"],
                capture_output=True, check=True,
            )  # fmt: skip
            voted = time.perf_counter()
            seen, _ = lines.get(timeout=30)
            delays.append(seen - voted)
            time.sleep(0.3)  # between votes: each is seen on its own, not batched with the next
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
    return delays


def plans(home: Path) -> list[list[str]]:
    from votr_cli.polls import _POLL_COLUMNS

    queries = {
        "list: open polls, soonest 50": (
            f"SELECT {_POLL_COLUMNS} FROM polls WHERE closed_at IS NULL AND closes_at > ? ORDER BY closes_at, id "
            "LIMIT 50"
        ),
        "list: how many more": "SELECT count(*) FROM polls WHERE closed_at IS NULL AND closes_at > ?",
        "list/show: options": (
            "SELECT poll_id, name FROM options WHERE poll_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY poll_id, number"
        ),
        "list/show/vote: the count": (
            "SELECT poll_id, choice, count(*) FROM ballots WHERE poll_id IN (SELECT value FROM json_each(?)) "
            "GROUP BY poll_id, choice"
        ),
        "show/vote: one poll": f"SELECT {_POLL_COLUMNS} FROM polls WHERE id = ?",
        "vote: the voter's ballot": "SELECT choice, voter FROM ballots WHERE poll_id = ? AND voter_key = ?",
        "vote: a new poll's number": (
            "SELECT coalesce(max(m), 0) + 1 FROM (SELECT max(id) AS m FROM polls UNION ALL "
            "SELECT max(poll_id) FROM events)"
        ),
        "daemon start: polls to finalise": (
            "SELECT id, closes_at, closed_at FROM polls WHERE finalized_at IS NULL "
            "ORDER BY coalesce(closed_at, closes_at), id"
        ),
        "daemon start: hooks to run": (
            "SELECT id, closed_at, hook_state FROM polls WHERE hook_state IN ('pending', 'interrupted') "
            "ORDER BY closed_at"
        ),
        "daemon: new events": "SELECT id, poll_id FROM events WHERE id > ? AND kind IN (?, ?, ?, ?)",
    }
    conn = sqlite3.connect(home / "votr.db")
    rows = []
    for name, sql in queries.items():
        detail = [r[3] for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", ["[1]"] * sql.count("?"))]
        # A bare `SCAN <table>` reads the whole table; an index scan of a partial index, or one that
        # stops at a LIMIT, does not.
        full = [d for d in detail if d.startswith("SCAN ") and " USING " not in d and "json_each" not in d]
        rows.append([name, "; ".join(detail), verdict(not full)])
    conn.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votr", type=Path, default=default_votr(), help="the installed votr script [%(default)s]")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each command [%(default)s]")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first [%(default)s]")
    parser.add_argument("--seed", type=int, default=1, help="seed of the round order shuffle [%(default)s]")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args()
    votr, python = installed_votr(args.votr)

    with tempfile.TemporaryDirectory(prefix="votr-bench-") as tmp:
        root = Path(tmp)
        facts = run_facts(root, votr)
        big, small = root / "big" / "home", root / "small" / "home"
        for home, n in ((big, BIG_POLLS), (small, SMALL_POLLS)):
            home.parent.mkdir()
            print(f"filling {home} with {n:,} polls ...")
            started = time.perf_counter()
            fill(home, n)
            print(f"  {time.perf_counter() - started:.1f} s")
        v = str(votr)
        cases = [
            Case("bare", lambda i: [python, "-c", "import sqlite3"], small),
            Case("click", lambda i: [python, "-c", "import click, sqlite3"], small),
        ]
        for label, home in (("big", big), ("small", small)):
            cases += [
                Case(f"list {label}", lambda i: [v, "list"], home),
                Case(f"list --json {label}", lambda i: [v, "list", "--json"], home),
                Case(f"show {label}", lambda i: [v, "show", "1"], home),
                Case(f"vote {label}", lambda i, lb=label: [v, "vote", "1", "2", "--voter", f"bench-{lb}-{i}"], home),
            ]
        print(f"timing {len(cases)} commands × {args.runs} runs ...")
        times = time_processes(cases, args.runs, args.warmup, args.seed)
        print("memory of the streams ...")
        streams = (("list --json --limit 0", ["list", "--json", "--limit", "0"]), ("export --all", ["export", "--all"]))
        memory = {
            (label, name): max_rss_mb([v, *argv], home)
            for label, home in (("big", big), ("small", small))
            for name, argv in streams
        }
        print("daemon starts ...")
        starts = {
            "small, 10 closes to queue": daemon_start(votr, small),
            "big, 10,000 closes to queue": daemon_start(votr, big),
            "big, 10,000 closes queued": daemon_start(votr, big),
        }
        print("import of 10,000 ranked ballots ...")
        imported, shown_after = import_seconds(votr, small, 5)
        print("watch, seeing 10 votes ...")
        seen = watch_delay(votr, small, 10)
        print("watch, idle for 10 s ...")
        cpu = watch_cpu(votr, big, 10)
        query_rows = plans(big)
        run_once([v, "list"], big)  # the store still opens after all that

    click_floor = median(times["click"])
    rows = []
    for name, goal in (("list", 2.0), ("list --json", 2.0), ("show", 2.0)):
        b, s = median(times[f"{name} big"]), median(times[f"{name} small"])
        rows.append([f"votr {name}", ms(s), ms(b), ms(percentile(times[f"{name} big"], 90)), ratio(b, s),
                     f"≤ {goal:g}× small: {verdict(b / s <= goal)}"])  # fmt: skip
    vb, vs = median(times["vote big"]), median(times["vote small"])
    rows.append(["votr vote 1", ms(vs), ms(vb), ms(percentile(times["vote big"], 90)), ratio(vb, vs),
                 f"{ratio(vb, click_floor)} click floor (≤ 1.3×): {verdict(vb / click_floor <= 1.3)}"])  # fmt: skip
    rows.append(['floor: python -c "import click, sqlite3"', ms(click_floor), "", "", "", ""])
    rows.append(['floor: python -c "import sqlite3"', ms(median(times["bare"])), "", "", "", ""])
    process_table = table(["command", "10 polls ms", "10,000 polls ms", "p90 ms", "× small", "goal"], rows)

    mem_rows = []
    for name in ("list --json --limit 0", "export --all"):
        (bm, bt), (sm, _) = memory[("big", name)], memory[("small", name)]
        mem_rows.append([f"votr {name}", f"{sm:.1f}", f"{bm:.1f}", ratio(bm, sm), f"{bt:.1f} s"])
    mem_table = table(["command", "10 polls MB", "10,000 polls MB", "× small", "10,000 polls took"], mem_rows)

    floor_ready = starts["small, 10 closes to queue"][0]
    start_rows = [
        [name, f"{ready:.2f}", ratio(ready, floor_ready), f"{rss:.1f}",
         "" if name.startswith("small") else f"≤ 2 s: {verdict(ready <= 2)}; ≤ 100 MB: {verdict(rss <= 100)}"]
        for name, (ready, rss) in starts.items()
    ]  # fmt: skip
    start_table = table(["daemon start", "s to first heartbeat", "× small", "RSS MB", "goal"], start_rows)
    body = "\n".join(
        [
            *facts,
            f"- {args.runs} timed runs per command after {args.warmup} warm-up rounds, in a shuffled order each "
            "round; floors in the same rounds",
            f"- Homes: {BIG_POLLS:,} open polls ({LARGEST:,} ballots in poll 1, {OTHERS} in each other: "
            f"{LARGEST + (BIG_POLLS - 1) * OTHERS:,} in all) and {SMALL_POLLS} ({LARGEST:,} + 9 × {OTHERS})",
            "",
            "### Whole processes (wall clock, medians)",
            "",
            process_table,
            "",
            "`list` and `list --json` show the 50 soonest deadlines (and count the rest); `show` and `vote` work on "
            "poll 1, the largest, in both homes. `vote`'s goal is against the click floor.",
            "",
            "### Streams: largest memory of one run (ru_maxrss), output thrown away",
            "",
            mem_table,
            "",
            "### Daemon start",
            "",
            start_table,
            "",
            "The first big start queues 10,000 closes itself (the fill wrote none); the second finds them queued "
            "and reads the queue to check.",
            "",
            "### `votr import` of 10,000 ranked ballots (5 runs, each into a new ranked poll of 5 options)",
            "",
            table(
                ["command", "median s", "max s", "goal"],
                [
                    [
                        "votr import POLL ranked-10000.csv",
                        f"{median(imported):.2f}",
                        f"{max(imported):.2f}",
                        f"≤ 2 s: {verdict(max(imported) <= 2)}",
                    ],
                    [
                        "votr show POLL (the poll imported into)",
                        f"{median(shown_after):.2f}",
                        f"{max(shown_after):.2f}",
                        "",
                    ],
                ],
            ),  # fmt: skip
            "",
            f"### `votr watch` sees a vote from another process: median {ms(median(seen))} ms, max {ms(max(seen))} ms "
            f"after the vote returned, 10 votes (≤ 500 ms: {verdict(max(seen) <= 0.5)})",
            "",
            f"### `votr watch 1` idle in the big home: {cpu:.2f} % of a core over 10 s (≤ 2 %: {verdict(cpu <= 2)})",
            "",
            "### EXPLAIN QUERY PLAN on these paths (big home)",
            "",
            table(["query", "plan", "no full scan"], query_rows),
        ]
    )
    publish(SECTION, body, not args.no_write)


if __name__ == "__main__":
    main()
