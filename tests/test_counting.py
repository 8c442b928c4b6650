"""Issue 8 through the CLI: every counting method end to end, revoting, and every bad input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Daemon, ok, ok_json, old_store, run, store_digest, wait_for

TENNESSEE = [
    (42, "Memphis Nashville Chattanooga Knoxville"),
    (26, "Nashville Chattanooga Knoxville Memphis"),
    (15, "Chattanooga Knoxville Nashville Memphis"),
    (17, "Knoxville Chattanooga Nashville Memphis"),
]


def create(*args: str) -> int:
    return ok_json("create", *args)["id"]


def cast(pid: int, voter: str, *choices: str) -> dict:
    return ok_json("vote", str(pid), *choices, "--voter", voter)


def refused(home: Path, args: list[str], message: str) -> None:
    before = store_digest(home)
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == "" and result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    assert message in result.stderr, result.stderr
    assert store_digest(home) == before


def test_ranked_tennessee_through_the_cli() -> None:
    pid = create("Capital?", "-o", "Memphis", "-o", "Nashville", "-o", "Chattanooga", "-o", "Knoxville",
                 "--method", "ranked")  # fmt: skip
    n = 0
    for count, ranking in TENNESSEE:
        for _ in range(count):
            n += 1
            cast(pid, f"v{n}", *ranking.split())
    poll = ok_json("show", str(pid))
    assert poll["method"] == "ranked" and poll["total_votes"] == 100
    assert [o["votes"] for o in poll["options"]] == [42, 26, 15, 17]  # first preferences: Memphis leads
    assert poll["irv_winner"] == "Knoxville" and poll["leaders"] == ["Knoxville"]
    assert [r["eliminated"] for r in poll["rounds"]] == [["Chattanooga"], ["Nashville"], []]
    assert poll["rounds"][-1]["counts"] == {"Memphis": 42, "Knoxville": 58}
    assert poll["condorcet_winner"] == "Nashville"
    assert poll["schulze_ranking"] == [["Nashville"], ["Chattanooga"], ["Knoxville"], ["Memphis"]]
    shown = ok("show", str(pid)).stdout
    assert "round 1: Memphis 42, Nashville 26, Knoxville 17, Chattanooga 15; Chattanooga eliminated" in shown
    assert "winner: Knoxville, 58-42 in round 3" in shown
    assert "Condorcet winner: Nashville" in shown
    assert "Instant runoff and Condorcet disagree: Knoxville wins the runoff" in shown
    listed = ok_json("list")["polls"][0]
    assert listed["method"] == "ranked" and listed["leaders"] == ["Knoxville"]


def test_ranked_revote_replaces_the_whole_ranking_and_numbers_work() -> None:
    pid = create("Day?", "-o", "Mon", "-o", "Tue", "-o", "Wed", "--method", "ranked")
    first = cast(pid, "ana", "Mon", "Tue")
    assert first["choices"] == ["Mon", "Tue"] and first["previous"] is None
    again = cast(pid, "ana", "3", "mon")
    assert again["choices"] == ["Wed", "Mon"] and again["previous"] == ["Mon", "Tue"]
    poll = ok_json("show", str(pid))
    assert poll["total_votes"] == 1 and [o["votes"] for o in poll["options"]] == [0, 0, 1]
    said = ok("vote", str(pid), "Tue", "--voter", "bo").stdout
    assert said.startswith("bo ranked Tue in poll 1: Day?")


def test_approval_counts_approvals_and_shares() -> None:
    pid = create("Which days?", "-o", "Mon", "-o", "Tue", "-o", "Wed", "--method", "approval", "--max-choices", "2")
    cast(pid, "ana", "Mon", "Tue")
    cast(pid, "bo", "Tue")
    cast(pid, "cy", "wed", "2")
    poll = ok_json("show", str(pid))
    assert poll["max_choices"] == 2 and poll["total_votes"] == 3
    assert [(o["votes"], o["share"]) for o in poll["options"]] == [(1, 0.3333), (3, 1.0), (1, 0.3333)]
    assert poll["leaders"] == ["Tue"]
    assert "approvals" in ok("show", str(pid)).stdout and "Tue won" not in ok("show", str(pid)).stdout
    assert ok("vote", str(pid), "Mon", "Wed", "--voter", "bo").stdout.startswith(
        "bo changed vote from Tue to Mon, Wed in poll 1"
    )


def test_score_totals_averages_and_star() -> None:
    pid = create("Talks?", "-o", "A", "-o", "B", "-o", "C", "--method", "score", "--max-score", "10")
    cast(pid, "ana", "A=10", "B=9")
    cast(pid, "bo", "1=10", "2=9")
    cast(pid, "cy", "B=10", "a=0", "C=1")
    cast(pid, "di", "B=3", "A=2")
    poll = ok_json("show", str(pid))
    assert poll["max_score"] == 10
    assert [(o["score"], o["average"], o["votes"]) for o in poll["options"]] == [
        (22, 5.5, 3), (31, 7.75, 4), (1, 0.25, 1)
    ]  # fmt: skip
    assert poll["leaders"] == ["B"]
    # Two ballots prefer A, two prefer B: the runoff is even, so the higher total (B) wins.
    assert poll["star_runoff"] == {"finalists": ["B", "A"], "preferred": {"B": 2, "A": 2}, "equal": 0}
    assert poll["star_winner"] == "B"
    shown = ok("show", str(pid)).stdout
    assert "STAR winner:" in shown and "total" in shown and "avg" in shown


def test_a_ranked_poll_with_two_options_warns() -> None:
    result = run("create", "Q", "-o", "a", "-o", "b", "--method", "ranked")
    assert result.exit_code == 0
    assert result.stderr == "warning: a ranked poll with 2 options counts as a single-choice one would\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "Q", "-o", "a", "-o", "b", "--method", "borda"], "unknown method 'borda'"),
        (["create", "Q", "-o", "a", "-o", "b", "--max-choices", "1"], "--max-choices is for approval polls"),
        (["create", "Q", "-o", "a", "-o", "b", "--method", "approval", "--max-choices", "0"], "from 1 to 2"),
        (["create", "Q", "-o", "a", "-o", "b", "--method", "approval", "--max-choices", "3"], "from 1 to 2"),
        (["create", "Q", "-o", "a", "-o", "b", "--method", "score", "--max-score", "0"], "from 1 to 100"),
        (["create", "Q", "-o", "a", "-o", "b", "--method", "score", "--max-score", "101"], "from 1 to 100"),
        (["create", "Q", "-o", "a", "-o", "b", "--max-score", "5"], "--max-score is for score polls"),
    ],
)
def test_create_refuses_bad_rules(home: Path, args: list[str], message: str) -> None:
    create("Existing", "-o", "x", "-o", "y")
    refused(home, args, message)


@pytest.fixture
def four(home: Path) -> dict[str, int]:
    opts = ["-o", "Mon", "-o", "Tue", "-o", "Wed"]
    return {
        "single": create("S", *opts),
        "approval": create("A", *opts, "--method", "approval", "--max-choices", "2"),
        "ranked": create("R", *opts, "--method", "ranked"),
        "score": create("C", *opts, "--method", "score"),
    }


@pytest.mark.parametrize(
    ("method", "choices", "message"),
    [
        ("single", ["Mon", "Tue"], "takes one choice (it is a single-choice poll), not 2"),
        ("approval", ["Mon", "Tue", "Wed"], "takes at most 2 approvals, not 3"),
        ("approval", ["Mon", "mon"], "option 1 (Mon) is chosen twice: as 'Mon' and 'mon'"),
        ("ranked", ["Mon", "Mon"], "option 1 (Mon) is chosen twice"),
        ("ranked", ["2", "Tue"], "option 2 (Tue) is chosen twice: as '2' and 'Tue'"),
        ("ranked", ["Mon", "Fri"], "has no option 'Fri'"),
        ("approval", ["Sat", "Mon"], "has no option 'Sat'"),
        ("score", ["Mon"], "rate each option as NAME=N or NUMBER=N, not 'Mon'"),
        ("score", ["Mon=6"], "above poll 4's highest, 5"),
        ("score", ["Mon=-1"], "is not a whole number from 0 to 5"),
        ("score", ["Mon=2.5"], "is not a whole number"),
        ("score", ["Mon=x"], "is not a whole number"),
        ("score", ["Mon=3", "1=2"], "option 1 (Mon) is chosen twice"),
        ("score", ["Fri=3"], "has no option 'Fri'"),
    ],
)
def test_vote_refuses_bad_ballots(
    home: Path, four: dict[str, int], method: str, choices: list[str], message: str
) -> None:
    refused(home, ["vote", str(four[method]), *choices], message)


def test_a_vote_without_choices_is_a_usage_error(four: dict[str, int]) -> None:
    result = run("vote", str(four["ranked"]))
    assert result.exit_code == 2 and "Missing argument 'CHOICE...'" in result.stderr


def test_a_store_from_before_counting_methods_opens_and_counts_the_same(home: Path) -> None:
    conn = old_store(home, "m005_methods")  # schema 4: a ballot names one option_id
    with conn:
        conn.execute(
            "INSERT INTO polls (id, title, created_at, created_by, closes_at) VALUES (1, 'Lunch?', ?, 'root', ?)",
            ("2026-01-01T07:00:00+00:00", "2099-01-01T07:00:00+00:00"),
        )
        conn.executemany("INSERT INTO options (poll_id, number, name) VALUES (1, ?, ?)", [(1, "Pizza"), (2, "Sushi")])
        option = dict(conn.execute("SELECT number, id FROM options").fetchall())
        conn.executemany(
            "INSERT INTO ballots (poll_id, option_id, voter, voter_key, cast_at) VALUES (1, ?, ?, ?, ?)",
            [(option[n], v, v, "2026-01-01T08:00:00+00:00") for v, n in (("ana", 1), ("bo", 2), ("cy", 1))],
        )
    conn.close()
    poll = ok_json("show", "1")
    assert poll["method"] == "single" and poll["total_votes"] == 3
    assert [o["votes"] for o in poll["options"]] == [2, 1] and poll["leaders"] == ["Pizza"]
    assert cast(1, "bo", "Pizza")["previous"] == ["Sushi"]
    conn = sqlite3.connect(home / "votr.db")
    assert conn.execute("SELECT voter, choice FROM ballots ORDER BY id").fetchall() == [
        ("ana", "1"), ("bo", "1"), ("cy", "1")
    ]  # fmt: skip
    conn.close()


def test_the_daemon_freezes_and_hands_on_the_methods_result(
    tmp_path: Path, home: Path, daemons: Callable[..., Daemon]
) -> None:
    got = tmp_path / "hook.json"
    d = daemons("--on-close", f"sh -c 'cat > {got}.tmp && mv {got}.tmp {got}'")
    pid = create("Day?", "-o", "Mon", "-o", "Tue", "-o", "Wed", "--method", "ranked", "--closes-in", "3s")
    for voter, ranking in (("a", "Mon Tue"), ("b", "Tue Mon"), ("c", "Wed Tue"), ("d", "Mon Wed"), ("e", "Tue")):
        cast(pid, voter, *ranking.split())
    wait_for(got.exists, 15, "the hook")
    hooked = json.loads(got.read_text())
    assert hooked["method"] == "ranked" and hooked["irv_winner"] == "Tue"  # Wed out, its ballot to Tue: 3 of 5
    assert [r["eliminated"] for r in hooked["rounds"]][0] == ["Wed"]
    conn = sqlite3.connect(home / "votr.db")
    frozen = json.loads(conn.execute("SELECT result FROM polls WHERE id = ?", (pid,)).fetchone()[0])
    conn.close()
    assert frozen["method"] == "ranked" and frozen["rounds"] == hooked["rounds"]
    assert frozen["leaders"] == hooked["leaders"] and frozen["schulze_ranking"] == hooked["schulze_ranking"]
    assert f"closed poll {pid} " in d.output()


def test_show_never_says_beats_where_options_tie_head_to_head(home: Path) -> None:
    # Sushi beats Tacos, but Pizza ties both: no cycle of wins, and no winner.
    pid = ok_json("create", "R", "-o", "Pizza", "-o", "Sushi", "-o", "Tacos", "--method", "ranked")["id"]
    ok("vote", str(pid), "sushi", "tacos", "--voter", "ana")
    ok("vote", str(pid), "pizza", "--voter", "jo")
    doc = ok_json("show", str(pid))
    assert doc["condorcet_winner"] is None and doc["condorcet_cycle"] is None
    assert doc["smith_set"] == ["Pizza", "Sushi", "Tacos"]
    shown = ok("show", str(pid)).stdout
    assert "Condorcet winner: none; Pizza, Sushi and Tacos tie or split head to head" in shown
    assert "beats" not in shown
