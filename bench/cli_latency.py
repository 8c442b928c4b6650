"""How long whole `votr` processes take, against Python's own start-up measured in the same run.

Run it from a virtualenv where the project was installed as a regular package
(`pip install .`, not `-e`: an editable install with PYTHONDONTWRITEBYTECODE=1
recompiles votr_cli on every start and would time the compiler):

    python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install .
    /tmp/bench-venv/bin/python bench/cli_latency.py            # or --runs 40, --votr PATH

What it measures, all in one temporary VOTR_HOME holding two polls (a plain
one, and one with a roll of 1,000, anonymous ballots and hidden results):

- wall-clock time (time.perf_counter around subprocess.run) of `votr vote`
  (a distinct voter each run, into each poll), `votr show 1`, `votr list`, `votr create`
  and `votr create --closes-at "friday 17:00"` (a distinct title each run, in
  a second home so `list` stays two polls long) and `votr --help`, interleaved
  round by round with the floors `python -c "import sqlite3"` (bare) and
  `python -c "import click, sqlite3"` (click floor), run by the interpreter the
  `votr` script uses;
- the cost of `PRAGMA synchronous=FULL` over NORMAL for a one-ballot write
  transaction, on a copy of the poll store (floor: NORMAL);
- which modules `votr vote` loads (huey, sqlite_utils, rich, dateutil.parser
  must not be among them).

Prints tables and rewrites the "CLI latency" section of bench/results.md.
Goals are printed as PASS/MISS text; nothing here is a test and nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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

SECTION = "CLI latency"
GOALS = {"vote": 1.3, "vote (roll, anonymous)": 1.3, "show": 2.5, "create --closes-at": 2.5}  # × click floor
ROLL_SIZE = 1000  # the rolled poll's voters (the timed runs' names among them)
# What `votr vote` imports, without running it: splits its cost into imports and work.
VOTE_IMPORTS = "import click, sqlite3, votr_cli.cli, votr_cli.commands.vote"
HEAVY = ("huey", "sqlite_utils", "rich", "rich.console", "dateutil.parser")


@dataclass(frozen=True)
class Case:
    name: str
    argv: Callable[[int], list[str]]  # run number -> command line
    home: Path


def sync_cost(db: Path, commits: int) -> dict[str, list[float]]:
    """Seconds per one-ballot write transaction with synchronous FULL and NORMAL, alternating."""
    copy = db.with_name("sync-bench.db")
    src, dst = sqlite3.connect(db), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode = WAL")
    dst.close()
    conns: dict[str, sqlite3.Connection] = {}
    for mode in ("FULL", "NORMAL"):
        conn = sqlite3.connect(copy, timeout=30, isolation_level=None)
        conn.execute(f"PRAGMA synchronous = {mode}")
        conn.execute("PRAGMA foreign_keys = ON")
        conns[mode] = conn
    times: dict[str, list[float]] = {mode: [] for mode in conns}
    warmup = 20
    for i in range(-warmup, commits):
        for mode in ("FULL", "NORMAL") if i % 2 else ("NORMAL", "FULL"):
            conn = conns[mode]
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT INTO ballots (poll_id, voter, voter_key, choice, cast_at) VALUES (1, ?, ?, '1', ?)",
                (f"sync-{mode}-{i}", f"sync-{mode}-{i}", "2000-01-01T00:00:00.000+00:00"),
            )
            conn.execute("COMMIT")
            if i >= 0:
                times[mode].append(time.perf_counter() - start)
    for conn in conns.values():
        conn.close()
    return times


_MODULES_PROBE = """
import json, sys
import votr_cli
from votr_cli.cli import cli
cli.main(["vote", "1", "b", "--voter", "modules-probe"], standalone_mode=False)
third = sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names) - {"__main__", "votr_cli"})
found = {"modules": sorted(sys.modules), "third_party": third, "votr_cli": votr_cli.__file__}
print("\\n@@" + json.dumps(found))
"""


def vote_modules(python: str, home: Path) -> dict[str, list[str]]:
    env = dict(os.environ, VOTR_HOME=str(home))
    done = subprocess.run([python, "-c", _MODULES_PROBE], cwd=home.parent, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"the module probe failed:\n{done.stderr}")
    marker = [line for line in done.stdout.splitlines() if line.startswith("@@")]
    return json.loads(marker[-1][2:])


def us(seconds: float) -> str:
    return f"{seconds * 1e6:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votr", type=Path, default=default_votr(), help="the installed votr script [%(default)s]")
    parser.add_argument("--runs", type=int, default=40, help="timed runs of each command (>= 20) [%(default)s]")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first [%(default)s]")
    parser.add_argument("--commits", type=int, default=300, help="transactions per synchronous mode [%(default)s]")
    parser.add_argument("--seed", type=int, default=1, help="seed of the round order shuffle [%(default)s]")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args()
    votr, python = installed_votr(args.votr)
    if args.runs < 20:
        print("warning: fewer than 20 runs per command; medians will be rough", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="votr-bench-") as tmp:
        root = Path(tmp)
        facts = run_facts(root, votr)
        home, create_home = root / "home", root / "create-home"
        run_once([str(votr), "create", "Bench", "-o", "a", "-o", "b", "--closes-in", "1h"], home)
        run_once([str(votr), "create", "Seed", "-o", "a", "-o", "b", "--closes-in", "1h"], create_home)
        # Poll 2: a roll, anonymous ballots (a keyed hash per vote) and hidden results: the heaviest vote path.
        names = [f"r{i}" for i in range(args.runs)] + [f"rwarm{i}" for i in range(1, args.warmup + 1)]
        roll = root / "roll.txt"
        roll.write_text("\n".join(names + [f"member{i}" for i in range(ROLL_SIZE - len(names))]) + "\n")
        run_once(
            [str(votr), "create", "Rolled", "-o", "a", "-o", "b", "--closes-in", "1h", "--voters-file", str(roll),
             "--anonymous", "--hide-results", "--quorum", "50%"],
            home,
        )  # fmt: skip
        v = str(votr)
        cases = [
            Case("bare", lambda i: [python, "-c", "import sqlite3"], home),
            Case("click", lambda i: [python, "-c", "import click, sqlite3"], home),
            Case("vote imports", lambda i: [python, "-c", VOTE_IMPORTS], home),
            Case("vote", lambda i: [v, "vote", "1", "a", "--voter", f"v{i}" if i >= 0 else f"warm{-i}"], home),
            Case(
                "vote (roll, anonymous)",
                lambda i: [v, "vote", "2", "b", "--voter", f"r{i}" if i >= 0 else f"rwarm{-i}"],
                home,
            ),
            Case("show", lambda i: [v, "show", "1"], home),
            Case("list", lambda i: [v, "list"], home),
            Case(
                "create", lambda i: [v, "create", f"Bench {i}", "-o", "a", "-o", "b", "--closes-in", "1h"], create_home
            ),
            Case(
                "create --closes-at",
                lambda i: [v, "create", f"Bench {i}", "-o", "a", "-o", "b", "--closes-at", "friday 17:00"],
                create_home,
            ),
            Case("--help", lambda i: [v, "--help"], home),
        ]
        print(f"timing {len(cases)} commands × {args.runs} runs (+{args.warmup} warm-up rounds) with {votr} ...")
        times = time_processes(cases, args.runs, args.warmup, args.seed)
        print(f"timing {args.commits} one-ballot commits per synchronous mode ...")
        sync = sync_cost(home / "votr.db", args.commits)
        probe = vote_modules(python, home)

    bare, click_floor = median(times["bare"]), median(times["click"])
    rows = []
    for case in cases:
        label = {
            "bare": 'floor: python -c "import sqlite3"',
            "click": 'floor: python -c "import click, sqlite3"',
            "vote imports": "(split) `votr vote`'s imports only",
        }.get(case.name, f"votr {case.name}")
        med = median(times[case.name])
        goal = ""
        if case.name in GOALS:
            limit = GOALS[case.name]
            goal = f"≤ {limit}× click: {verdict(med / click_floor <= limit)}"
        p90 = percentile(times[case.name], 90)
        rows.append([label, ms(med), ms(p90), ratio(med, bare), ratio(med, click_floor), goal])
    process_table = table(["command", "median ms", "p90 ms", "× bare", "× click floor", "goal"], rows)

    full, normal = median(sync["FULL"]), median(sync["NORMAL"])
    sync_table = table(
        ["synchronous", "median µs/commit", "p90 µs/commit", "× NORMAL (floor)"],
        [
            [mode, us(median(sync[mode])), us(percentile(sync[mode], 90)), ratio(median(sync[mode]), normal)]
            for mode in ("NORMAL", "FULL")
        ],
    )

    loaded = set(probe["modules"])
    heavy_rows = [[name, "loaded (MISS)" if name in loaded else "not loaded (PASS)"] for name in HEAVY]
    modules_table = table(["module", "`votr vote`"], heavy_rows)
    third_party = ", ".join(probe["third_party"]) or "none"

    body = "\n".join(
        [
            *facts,
            f"- Interpreter for the floors: `{python}`",
            f"- {args.runs} timed runs per command after {args.warmup} warm-up rounds; each round runs every "
            "command once, in a shuffled order",
            "",
            "### Whole processes (wall clock)",
            "",
            process_table,
            "",
            f"`vote (roll, anonymous)` votes in a poll with a roll of {ROLL_SIZE:,}, `--anonymous`, "
            "`--hide-results` and `--quorum 50%`. "
            "`create` and `create --closes-at` run in a second home so that `list` and `show` read a two-poll "
            "store throughout. "
            f'The (split) row is `python -c "{VOTE_IMPORTS}"`: `votr vote` minus it is the vote\'s own work '
            "(connect, the write transaction and its fsync, output, exit).",
            "",
            f"### One-ballot write transaction, synchronous FULL vs NORMAL ({args.commits} commits each, alternating)",
            "",
            sync_table,
            "",
            f"FULL costs {us(full - normal)} µs more per commit than NORMAL "
            f"({ratio(full, normal)} the floor); a `votr vote` takes {ms(median(times['vote']))} ms in all.",
            "",
            f"### Modules `votr vote` loads ({len(loaded)} in all)",
            "",
            modules_table,
            "",
            f"Third-party packages loaded by `votr vote`: {third_party}. (Probed with `cli.main([...], "
            f"standalone_mode=False)` from `{probe['votr_cli']}`.)",
        ]
    )
    publish(SECTION, body, not args.no_write)


if __name__ == "__main__":
    main()
