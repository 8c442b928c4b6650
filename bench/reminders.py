"""How late a reminder's hook starts after its time, against the cost of starting that hook at all.

Run it from a virtualenv where the project was installed as a regular package:

    python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install .
    /tmp/bench-venv/bin/python bench/reminders.py            # or --polls 40, --votr PATH

What it measures, in one temporary VOTR_HOME:

- the floor: the same hook program (a Python script that notes `time.time()`
  as it starts and reads the poll's JSON on stdin) started by `subprocess.Popen`
  here, `--polls` times: from the call to its first line of Python;
- a burst: `--polls` polls made with `votr create --closes-at ... --remind-before
  20s` (the CLI's own path into the queue), their reminders due 0.25 s apart
  starting 4 s after the last create, each with a roll of 3;
- after idle: three more reminders, due after the daemon has had 15 s with
  nothing to do.

Lateness is the hook's own start time minus the reminder's time. Prints a table
and rewrites the "Reminder lateness" section of bench/results.md. The goal
(≤ 250 ms, as DESIGN.md asks of closes) is printed as PASS/MISS; nothing asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
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
    verdict,
)

SECTION = "Reminder lateness"
GOAL_S = 0.250
BEFORE_S = 20
HOOK = """
import json, sys, time
started = time.time()
data = json.load(sys.stdin)
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"started": started, "poll": data.get("id")}) + "\\n")
"""


def spawn_floor(python: str, script: Path, out: Path, runs: int) -> list[float]:
    """Seconds from Popen to the hook's first statement, the same way the daemon starts it."""
    times = []
    doc = json.dumps({"id": 0, "not_voted": ["ana"]}).encode()
    for _ in range(runs):
        before = time.time()
        proc = subprocess.Popen([python, str(script), str(out)], stdin=subprocess.PIPE, start_new_session=True)
        proc.communicate(doc)
        started = json.loads(out.read_text().splitlines()[-1])["started"]
        times.append(started - before)
    return times


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="milliseconds")


def create(votr: str, home: Path, title: str, remind_at: float) -> int:
    argv = [
        votr, "create", title, "-o", "a", "-o", "b", "--closes-at", iso(remind_at + BEFORE_S),
        "--remind-before", f"{BEFORE_S}s", "--voters", "ana,bo,cy", "--json",
    ]  # fmt: skip
    done = subprocess.run(argv, env=dict(os.environ, VOTR_HOME=str(home)), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{argv!r} failed:\n{done.stderr}")
    return json.loads(done.stdout)["id"]


def wait_records(out: Path, n: int, timeout: float) -> dict[int, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.exists():
            got = {r["poll"]: r["started"] for r in map(json.loads, out.read_text().splitlines())}
            if len(got) >= n:
                return got
        time.sleep(0.05)
    sys.exit(f"only some of the {n} reminders came within {timeout:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votr", type=Path, default=default_votr(), help="the installed votr script [%(default)s]")
    parser.add_argument("--polls", type=int, default=30, help="reminders in the burst [%(default)s]")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args()
    votr, python = installed_votr(args.votr)

    with tempfile.TemporaryDirectory(prefix="votr-bench-") as tmp:
        root = Path(tmp)
        facts = run_facts(root, votr)
        home = root / "home"
        script = root / "hook.py"
        script.write_text(HOOK)
        floor = spawn_floor(python, script, root / "floor.jsonl", args.polls)
        out = root / "reminded.jsonl"
        run_once([str(votr), "create", "Seed", "-o", "a", "-o", "b", "--closes-in", "1h"], home)
        log = open(root / "daemon.log", "w")
        daemon = subprocess.Popen(
            [str(votr), "--home", str(home), "daemon", "--on-remind", f"{python} {script} {out}"],
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
        try:
            # Creating takes ~0.1 s a poll; every reminder is due after the last create.
            start = time.time() + 0.2 * args.polls + 4
            due: dict[int, float] = {}
            for i in range(args.polls):
                at = start + 0.25 * i
                due[create(str(votr), home, f"Burst {i}", at)] = at
            burst_end = max(due.values())
            idle_due: dict[int, float] = {}
            for i in range(3):
                at = burst_end + 15 + i
                idle_due[create(str(votr), home, f"After idle {i}", at)] = at
            print(f"waiting for {args.polls} + 3 reminders (about {max(idle_due.values()) - time.time():.0f} s) ...")
            got = wait_records(out, len(due) + len(idle_due), max(idle_due.values()) - time.time() + 30)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=15)
            log.close()

    floor_med = median(floor)
    rows = []
    for label, group in (("burst", due), ("after 15 s idle", idle_due)):
        late = [got[pid] - at for pid, at in group.items()]
        p95, worst = percentile(late, 95), max(late)
        rows.append(
            [
                label,
                str(len(late)),
                ms(median(late)),
                ms(p95),
                ms(worst),
                ratio(median(late), floor_med),
                f"max ≤ {GOAL_S * 1000:.0f} ms: {verdict(worst <= GOAL_S)}",
            ]
        )
    rows.append(
        ["floor: Popen → hook's first line", str(len(floor)), ms(floor_med), ms(percentile(floor, 95)), ms(max(floor)),
         "1.00×", ""]
    )  # fmt: skip
    body = "\n".join(
        [
            *facts,
            "",
            table(["reminders", "n", "median ms", "p95 ms", "max ms", "× floor", "goal"], rows),
            "",
            "Lateness is the hook's own `time.time()` at its first line minus the reminder's time (deadline "
            f"minus `--remind-before {BEFORE_S}s`), so it includes starting the hook's Python (the floor row, "
            "measured in the same run by starting the same script the way the daemon does).",
        ]
    )
    publish(SECTION, body, not args.no_write)


if __name__ == "__main__":
    main()
