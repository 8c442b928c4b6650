"""How long `votr show` takes to count 100,000 ranked ballots, and whether ranked `votr vote` stays cheap.

Run it from a virtualenv where the project was installed as a regular package
(`pip install .`, not `-e`), with that virtualenv's Python: the stores are built
and the in-process split is timed with the `votr_cli` it imports.

    python -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install .
    /tmp/bench-venv/bin/python bench/tally.py            # or --runs 30, --votr PATH, --no-write

What it measures, in temporary homes:

- a store holding one ranked poll and one single-choice poll, 8 options each,
  made with the core API (`newpoll.create_poll`, closing a day ahead) and filled
  with 100,000 ballots each by direct SQL inserts (one transaction). Ranked
  ballots come from random.Random(2026): each ranks 1 to 8 distinct options in
  a random order, so partial rankings exist and short ones repeat (the tally
  reads one GROUP BY row per distinct ranking; their number is reported).
  Single ballots pick one option each, weighted so there is a leader;
- wall-clock time (time.perf_counter around subprocess.run) of whole
  `votr --home H show ID` processes, text and `--json`, for both polls,
  interleaved round by round (shuffled) with the click floor
  `python -c "import click, sqlite3"` and `votr show`'s imports alone, run by
  the interpreter the `votr` script uses;
- in a second home holding one small ranked and one small single poll (8
  options each): `votr vote ID 3 1 5 --voter vN` (ranked) and `votr vote ID 3
  --voter vN` (single), a distinct voter each run, interleaved with the same
  click floor;
- in process, on the 100,000-ballot polls: one `polls.get_poll` split into the
  tally's SQL (`SELECT poll_id, choice, count(*) ... GROUP BY poll_id, choice`),
  decoding the grouped ballots, and the method's count (for ranked: merging,
  instant runoff, pairwise matrix, the rest of Condorcet/Schulze).

Goals (from the issue): ranked `votr show` median <= 1.0 s and <= 3x the
single-choice poll's `votr show`, same run; ranked `votr vote` <= 1.3x the click
floor. Prints tables and rewrites the "Tally" section of bench/results.md.
Goals are printed as PASS/MISS text; nothing here is a test and nothing asserts.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
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
    table,
    time_processes,
    verdict,
)

SECTION = "Tally"
BALLOTS = 100_000
OPTIONS = [f"Option {c}" for c in "ABCDEFGH"]
SEED = 2026
SHOW_LIMIT_S = 1.0  # ranked `votr show`, whole process
SHOW_RATIO = 3.0  # ranked show / single show
VOTE_RATIO = 1.3  # ranked vote / click floor
# Single-choice weights: a little lead for the first two options.
SINGLE_WEIGHTS = [1.5, 1.25, 1, 1, 1, 1, 1, 1]
CLICK = "import click, sqlite3"
# What a ranked text `votr show` imports, without running it: splits its cost into imports and work.
SHOW_IMPORTS = (
    "import click, sqlite3, json, rich.console, rich.table, rich.text, votr_cli.cli, votr_cli.commands.show, "
    "votr_cli.polls, votr_cli.render, votr_cli.render_counts, votr_cli.outcome, votr_cli.methods.ranked, "
    "votr_cli.daemon.heartbeat"
)


@dataclass(frozen=True)
class Case:
    name: str
    label: str
    argv: Callable[[int], list[str]]  # run number -> command line
    home: Path


# --- building the stores -------------------------------------------------------------------------


def ranked_ballots(count: int, seed: int) -> list[str]:
    """Stored ranked ballots ("3,1,2"): each ranks 1..8 distinct options in a random order."""
    rng = random.Random(seed)
    numbers = range(1, len(OPTIONS) + 1)
    return [",".join(map(str, rng.sample(numbers, rng.randint(1, len(OPTIONS))))) for _ in range(count)]


def single_ballots(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    picks = rng.choices(range(1, len(OPTIONS) + 1), weights=SINGLE_WEIGHTS, k=count)
    return [str(n) for n in picks]


def fill(conn: sqlite3.Connection, poll_id: int, choices: list[str], stamp: str) -> None:
    """Insert one ballot per choice (voters v0, v1, ...) in one transaction, bypassing `votr vote`."""
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(
        "INSERT INTO ballots (poll_id, voter, voter_key, account, choice, cast_at) VALUES (?, ?, ?, 'bench', ?, ?)",
        ((poll_id, f"v{i}", f"v{i}", choice, stamp) for i, choice in enumerate(choices)),
    )
    conn.execute("COMMIT")


def make_polls(home: Path, creator: str, fills: dict[str, list[str]]) -> dict[str, int]:
    """One poll per entry ('ranked...' or 'single...'), 8 options, closing in a day; filled with its ballots."""
    from votr_cli import newpoll, store
    from votr_cli.timefmt import to_iso, utcnow

    conn = store.connect(home)
    try:
        ids = {}
        for name, choices in fills.items():
            method = "ranked" if name.startswith("ranked") else "single"
            deadline = utcnow() + timedelta(days=1)
            poll = newpoll.create_poll(
                conn, f"Bench {name}", OPTIONS, deadline, utcnow, creator, rules=newpoll.Rules(method)
            )
            if choices:
                fill(conn, poll.id, choices, to_iso(utcnow()))
            ids[name] = poll.id
    finally:
        conn.close()
    return ids


# --- whole processes -----------------------------------------------------------------------------


# --- in process ----------------------------------------------------------------------------------


def best_of(fn: Callable[[], object], repeats: int) -> list[float]:
    """Seconds per call, `repeats` calls after one untimed one."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def split_tally(home: Path, poll_id: int, repeats: int) -> tuple[list[tuple[str, list[float]]], int]:
    """Seconds of one get_poll and of its parts, the way polls._load does them; and the GROUP BY rows."""
    from votr_cli import polls, store
    from votr_cli.methods import get
    from votr_cli.methods.base import grouped

    conn = store.connect(home, create=False)
    try:
        method = conn.execute("SELECT method FROM polls WHERE id = ?", (poll_id,)).fetchone()[0]
        names = [r[0] for r in conn.execute("SELECT name FROM options WHERE poll_id = ? ORDER BY number", (poll_id,))]
        sql = "SELECT poll_id, choice, count(*) FROM ballots WHERE poll_id = ? GROUP BY poll_id, choice"

        def query() -> list[tuple[str, int]]:
            return [(c, n) for _, c, n in conn.execute(sql, (poll_id,))]

        groups = query()
        decoded = [(polls.decode_ballot(method, c), n) for c, n in groups]
        module = get(method)
        parts: list[tuple[str, list[float]]] = [
            ("polls.get_poll (all of it)", best_of(lambda: polls.get_poll(conn, poll_id), repeats)),
            ("  SQL: GROUP BY choice (rows fetched)", best_of(query, repeats)),
            (
                "  decode_ballot per group",
                best_of(lambda: [(polls.decode_ballot(method, c), n) for c, n in groups], repeats),
            ),
            (f"  methods.{method}.tally", best_of(lambda: module.tally(names, decoded), repeats)),
        ]
        if method == "ranked":
            from votr_cli.methods import condorcet
            from votr_cli.methods.irv import instant_runoff

            merged = grouped(decoded)
            d = condorcet.pairwise(len(names), merged)

            def rest() -> None:
                winner = condorcet.condorcet_winner(d)
                if winner is None:
                    condorcet.majority_cycle(d, condorcet.smith_set(d))
                condorcet.schulze_ranking(d)

            parts += [
                ("    base.grouped (merge)", best_of(lambda: grouped(decoded), repeats)),
                ("    irv.instant_runoff", best_of(lambda: instant_runoff(names, merged), repeats)),
                ("    condorcet.pairwise", best_of(lambda: condorcet.pairwise(len(names), merged), repeats)),
                ("    Condorcet winner, Smith, Schulze", best_of(rest, repeats)),
            ]
        return parts, len(groups)
    finally:
        conn.close()


# --- report --------------------------------------------------------------------------------------


def process_rows(cases: list[Case], times: dict[str, list[float]], click_floor: float) -> list[list[str]]:
    rows = []
    for case in cases:
        med = median(times[case.name])
        rows.append([case.label, ms(med), ms(percentile(times[case.name], 90)), ratio(med, click_floor)])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--votr", type=Path, default=default_votr(), help="the installed votr script [%(default)s]")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each `show` [%(default)s]")
    parser.add_argument("--vote-runs", type=int, default=40, help="timed runs of each `vote` [%(default)s]")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first [%(default)s]")
    parser.add_argument("--repeats", type=int, default=5, help="in-process timings of each part [%(default)s]")
    parser.add_argument("--seed", type=int, default=1, help="seed of the round order shuffle [%(default)s]")
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/results.md alone")
    args = parser.parse_args()
    votr, python = installed_votr(args.votr)
    try:
        import votr_cli
        from votr_cli.accounts import current
    except ImportError:
        sys.exit("votr_cli is not importable here: run this with the Python of the virtualenv votr is installed in")
    creator = current()  # `--voter vN` is the creator's right: the polls must be this account's

    with tempfile.TemporaryDirectory(prefix="votr-bench-tally-") as tmp:
        root = Path(tmp)
        facts = run_facts(root, votr)
        home, vote_home = root / "home", root / "vote-home"

        print(f"building {BALLOTS:,} ranked and {BALLOTS:,} single ballots ...")
        start = time.perf_counter()
        ranked_choices = ranked_ballots(BALLOTS, SEED)
        single_choices = single_ballots(BALLOTS, SEED + 1)
        distinct = len(set(ranked_choices))
        ids = make_polls(home, creator, {"ranked": ranked_choices, "single": single_choices})
        vote_ids = make_polls(vote_home, creator, {"ranked-small": [], "single-small": []})
        built = time.perf_counter() - start
        db_mb = (home / "votr.db").stat().st_size / 1e6
        lengths = [0] * len(OPTIONS)
        for choice in ranked_choices:
            lengths[choice.count(",")] += 1
        del ranked_choices, single_choices

        v, h, hv = str(votr), str(home), str(vote_home)
        ranked, single = str(ids["ranked"]), str(ids["single"])
        show_cases = [
            Case("click", 'floor: python -c "import click, sqlite3"', lambda i: [python, "-c", CLICK], home),
            Case(
                "show imports",
                "(split) ranked `votr show`'s imports only",
                lambda i: [python, "-c", SHOW_IMPORTS],
                home,
            ),
            Case("ranked", "votr show (ranked, 100k)", lambda i: [v, "--home", h, "show", ranked], home),
            Case(
                "ranked json",
                "votr show --json (ranked, 100k)",
                lambda i: [v, "--home", h, "show", ranked, "--json"],
                home,
            ),
            Case("single", "votr show (single, 100k)", lambda i: [v, "--home", h, "show", single], home),
            Case(
                "single json",
                "votr show --json (single, 100k)",
                lambda i: [v, "--home", h, "show", single, "--json"],
                home,
            ),
        ]

        def voter(i: int) -> str:
            return f"v{i}" if i >= 0 else f"warm{-i}"

        rv, sv = str(vote_ids["ranked-small"]), str(vote_ids["single-small"])
        vote_cases = [
            Case("click", 'floor: python -c "import click, sqlite3"', lambda i: [python, "-c", CLICK], vote_home),
            Case(
                "vote ranked",
                "votr vote ID 3 1 5 (ranked)",
                lambda i: [v, "--home", hv, "vote", rv, "3", "1", "5", "--voter", voter(i)],
                vote_home,
            ),
            Case(
                "vote single",
                "votr vote ID 3 (single)",
                lambda i: [v, "--home", hv, "vote", sv, "3", "--voter", voter(i)],
                vote_home,
            ),
        ]

        print(f"timing {len(show_cases)} show commands × {args.runs} runs (+{args.warmup} warm-up rounds) ...")
        show_times = time_processes(show_cases, args.runs, args.warmup, args.seed)
        print(f"timing {len(vote_cases)} vote commands × {args.vote_runs} runs (+{args.warmup} warm-up rounds) ...")
        vote_times = time_processes(vote_cases, args.vote_runs, args.warmup, args.seed + 1)
        print(f"timing get_poll in process ({args.repeats} repeats) ...")
        ranked_parts, ranked_groups = split_tally(home, ids["ranked"], args.repeats)
        single_parts, single_groups = split_tally(home, ids["single"], args.repeats)

    # Whole `show` processes.
    show_floor = median(show_times["click"])
    ranked_show, single_show = median(show_times["ranked"]), median(show_times["single"])
    ranked_json, single_json = median(show_times["ranked json"]), median(show_times["single json"])
    show_table = table(
        ["command", "median ms", "p90 ms", "× click floor"], process_rows(show_cases, show_times, show_floor)
    )
    show_goals = table(
        ["goal", "measured", "verdict"],
        [
            [
                f"ranked `votr show` median ≤ {SHOW_LIMIT_S * 1000:.0f} ms",
                f"{ms(ranked_show)} ms",
                verdict(ranked_show <= SHOW_LIMIT_S),
            ],
            [
                f"ranked `votr show` ≤ {SHOW_RATIO:g}× single `votr show`",
                ratio(ranked_show, single_show),
                verdict(ranked_show <= SHOW_RATIO * single_show),
            ],
            [
                f"(not a goal) ranked `--json` ≤ {SHOW_LIMIT_S * 1000:.0f} ms; ≤ {SHOW_RATIO:g}× single `--json`",
                f"{ms(ranked_json)} ms; {ratio(ranked_json, single_json)}",
                verdict(ranked_json <= SHOW_LIMIT_S and ranked_json <= SHOW_RATIO * single_json),
            ],
        ],
    )

    # Whole `vote` processes.
    vote_floor = median(vote_times["click"])
    vote_ranked, vote_single = median(vote_times["vote ranked"]), median(vote_times["vote single"])
    vote_rows = process_rows(vote_cases, vote_times, vote_floor)
    for row, case in zip(vote_rows, vote_cases, strict=True):
        goal = ""
        if case.name == "vote ranked":
            goal = f"≤ {VOTE_RATIO}× click: {verdict(vote_ranked <= VOTE_RATIO * vote_floor)}"
        elif case.name == "vote single":
            goal = f"(as today: {verdict(vote_single <= VOTE_RATIO * vote_floor)})"
        row.append(goal)
    vote_table = table(["command", "median ms", "p90 ms", "× click floor", "goal"], vote_rows)

    # In process.
    def part_rows(parts: list[tuple[str, list[float]]], whole: float) -> list[list[str]]:
        return [[name, ms(median(t)), ms(max(t)), f"{median(t) / whole:.0%}"] for name, t in parts]

    ranked_whole = median(ranked_parts[0][1])
    single_whole = median(single_parts[0][1])
    split_headers = ["part", "median ms", "max ms", "share of get_poll"]
    ranked_split = table(split_headers, part_rows(ranked_parts, ranked_whole))
    single_split = table(split_headers, part_rows(single_parts, single_whole))
    length_text = ", ".join(f"{k + 1}: {n:,}" for k, n in enumerate(lengths))

    body = "\n".join(
        [
            *facts,
            f"- Interpreter for the floors: `{python}`; in-process parts from `{Path(votr_cli.__file__).parent}`",
            f"- Data: {BALLOTS:,} ranked ballots over {len(OPTIONS)} options (random.Random({SEED}): each ranks "
            f"1 to {len(OPTIONS)} distinct options in random order) → **{distinct:,} distinct rankings** "
            f"({ranked_groups:,} GROUP BY rows); ballots by ranking length: {length_text}. "
            f"{BALLOTS:,} single-choice ballots over {len(OPTIONS)} options (weights {SINGLE_WEIGHTS}) → "
            f"{single_groups} GROUP BY rows. Inserted by SQL in one transaction each; store {db_mb:.1f} MB; "
            f"building took {built:.1f} s",
            f"- `show`: {args.runs} timed runs per command after {args.warmup} warm-up rounds; `vote`: "
            f"{args.vote_runs} timed runs after {args.warmup} warm-up rounds (a distinct voter each run, a separate "
            "home with two small polls); each round runs every command once, in a shuffled order",
            "",
            "### `votr show` on 100,000 ballots (whole processes, wall clock)",
            "",
            show_table,
            "",
            show_goals,
            "",
            f'The (split) row is `python -c "{SHOW_IMPORTS}"`: ranked `votr show` minus it '
            f"({ms(ranked_show - median(show_times['show imports']))} ms) is its own work: connect, the GROUP BY, "
            f"the count, rendering. Single `votr show` minus the same row: "
            f"{ms(single_show - median(show_times['show imports']))} ms. Text minus `--json` (Rich and the "
            f"method's extra lines against one JSON dump): ranked {ms(ranked_show - ranked_json)} ms, "
            f"single {ms(single_show - single_json)} ms.",
            "",
            "### `votr vote` on a small poll (whole processes, wall clock)",
            "",
            vote_table,
            "",
            f"### In process: one `polls.get_poll` on the 100,000-ballot ranked poll ({args.repeats} timed calls)",
            "",
            ranked_split,
            "",
            "Indented rows are parts of the row above them, timed on their own with the same inputs; the "
            "ranked tally's parts are the steps `methods.ranked.tally` runs.",
            "",
            f"### In process: one `polls.get_poll` on the 100,000-ballot single poll ({args.repeats} timed calls)",
            "",
            single_split,
        ]
    )
    publish(SECTION, body, not args.no_write)


if __name__ == "__main__":
    main()
