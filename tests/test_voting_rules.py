"""Who votes and what they see, end to end through the CLI: rolls, quorum, hidden results, anonymity,
no revoting, unvote, closing when all have voted, and every refusal (DESIGN.md, "Who votes, and what they see")."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from votr_cli.accounts import current

from .conftest import ok, ok_json, run, store_digest
from .test_bad_input import refused

ME = current()  # the account running the tests: it creates every poll, and votes as itself or for others

TWO = ["-o", "Zebra", "-o", "Yak"]


def create(*extra: str, closes_in: str = "2h") -> int:
    return ok_json("create", "Pick one", *TWO, "--closes-in", closes_in, *extra)["id"]


def flat(text: str) -> str:
    """`text` with Rich's wrapping undone: one space wherever there was any run of blanks."""
    return " ".join(text.split())


def events(home: Path, pid: int) -> list[tuple[str, str, dict | None]]:
    conn = sqlite3.connect(home / "votr.db")
    try:
        rows = conn.execute("SELECT kind, actor, detail FROM events WHERE poll_id = ? ORDER BY id", (pid,))
        return [(k, a, json.loads(d) if d else None) for k, a, d in rows]
    finally:
        conn.close()


# --- rolls -------------------------------------------------------------------


def test_a_roll_admits_its_voters_only_and_show_gives_the_turnout(home: Path) -> None:
    pid = create("--voters", "Ana, bo,José")
    ok("vote", str(pid), "zebra", "--voter", "ana")
    # The roll's spelling is the voter's name: `ANA` and NFD `jose\u0301` are the roll's Ana and José.
    ok("vote", str(pid), "yak", "--voter", "ANA")
    ok("vote", str(pid), "yak", "--voter", "jose\u0301")
    before = store_digest(home)
    result = run("vote", str(pid), "zebra", "--voter", "eve")
    assert result.exit_code == 1
    assert result.stderr == f"Error: eve is not on the voter roll of poll {pid}\n"
    assert store_digest(home) == before
    doc = ok_json("show", str(pid))
    assert doc["roll"] == {"size": 3, "voted": 2}
    assert doc["total_votes"] == 2
    assert "turnout: 2 of 3 voted" in ok("show", str(pid)).stdout.splitlines()
    assert "rules: roll of 3" in ok("show", str(pid)).stdout


def test_voters_lists_who_voted_with_when_and_who_on_the_roll_has_not(home: Path) -> None:
    pid = create("--voters", "ana,bo,cy,dee")
    ok("vote", str(pid), "zebra", "--voter", "cy")
    ok("vote", str(pid), "yak", "--voter", "ana")
    doc = ok_json("voters", str(pid))
    assert [v["voter"] for v in doc["voted"]] == ["cy", "ana"]
    assert all(v["at"].endswith("+00:00") for v in doc["voted"])
    assert doc["not_voted"] == ["bo", "dee"]
    assert doc["roll"] == {"size": 4, "voted": 2}
    text = ok("voters", str(pid)).stdout
    assert text.splitlines()[0] == f"Poll {pid}: Pick one; 2 of 4 on the roll voted"
    assert "not voted:\n  bo\n  dee\n" in text
    # Who, never what.
    assert "Zebra" not in text and "Yak" not in text and "Zebra" not in json.dumps(doc)


def test_voters_without_a_roll_lists_who_voted(home: Path) -> None:
    pid = create()
    ok("vote", str(pid), "zebra", "--voter", "ana")
    doc = ok_json("voters", str(pid))
    assert [v["voter"] for v in doc["voted"]] == ["ana"]
    assert doc["not_voted"] is None and doc["roll"] is None
    assert ok("voters", str(pid)).stdout.startswith(f"Poll {pid}: Pick one; 1 voter, no roll\nvoted:\n  ana  ")


def test_a_voters_file_takes_comments_and_blank_lines_and_stdin(home: Path, tmp_path: Path) -> None:
    roll = tmp_path / "members.txt"
    roll.write_text("\ufeff# the team\nana\n\n  bo   # on leave till May\ncy\n", encoding="utf-8")
    pid = ok_json("create", "Q", *TWO, "--voters-file", str(roll))["id"]
    assert ok_json("voters", str(pid))["not_voted"] == ["ana", "bo", "cy"]
    result = ok("create", "Q", *TWO, "--voters-file", "-", "--json", input="dee\neli\n")
    assert ok_json("voters", str(json.loads(result.stdout)["id"]))["not_voted"] == ["dee", "eli"]


# --- quorum ------------------------------------------------------------------


def test_below_quorum_a_closed_poll_has_no_winner(home: Path) -> None:
    pid = create("--quorum", "3")
    ok("vote", str(pid), "zebra", "--voter", "ana")
    ok("vote", str(pid), "zebra", "--voter", "bo")
    shown = ok("show", str(pid)).stdout
    assert "Zebra leads with 2 of 2 votes; quorum: 2 of the 3 ballots needed so far" in flat(shown)
    assert ok_json("show", str(pid))["leaders"] == ["Zebra"]  # it leads; only at close does the quorum decide
    ok("close", str(pid))
    doc = ok_json("show", str(pid))
    assert doc["quorum"] == {"needed": 3, "percent": None, "reached": False}
    assert doc["leaders"] == []
    shown = ok("show", str(pid)).stdout
    assert "no quorum: 2 of the 3 ballots needed; no winner" in shown
    assert "winner" not in shown.replace("no winner", "")
    assert "no quorum" in ok("list", "--closed").stdout


def test_below_quorum_a_ranked_or_score_poll_names_no_winner_anywhere(home: Path) -> None:
    three = ["-o", "A", "-o", "B", "-o", "C"]
    ranked = ok_json("create", "R", *three, "--method", "ranked", "--quorum", "3")["id"]
    ok("vote", str(ranked), "a", "b", "--voter", "x")
    ok("vote", str(ranked), "a", "c", "--voter", "y")
    score = ok_json("create", "S", *three, "--method", "score", "--quorum", "3")["id"]
    ok("vote", str(score), "a=5", "b=1", "--voter", "x")
    ok("vote", str(score), "a=4", "b=5", "--voter", "y")
    for pid in (ranked, score):
        ok("close", str(pid))
        doc = ok_json("show", str(pid))
        assert doc["leaders"] == []
        assert all(doc.get(k) is None for k in ("irv_winner", "condorcet_winner", "star_winner"))
        text = ok("show", str(pid)).stdout
        assert "◀" not in text and "winner: A" not in text and "STAR winner: A" not in text, text
        assert "no quorum: 2 of the 3 ballots needed; no winner" in text
    assert "Condorcet winner: none (too few ballots for the quorum)" in ok("show", str(ranked)).stdout


def test_a_quorum_reached_names_the_winner_and_a_percentage_counts_the_roll(home: Path) -> None:
    pid = create("--voters", "ana,bo,cy", "--quorum", "50%")  # half of 3, rounded up: 2
    doc = ok_json("show", str(pid))
    assert doc["quorum"] == {"needed": 2, "percent": 50, "reached": False}
    assert "quorum 2 ballots (50%)" in ok("show", str(pid)).stdout
    ok("vote", str(pid), "yak", "--voter", "ana")
    ok("vote", str(pid), "yak", "--voter", "bo")
    ok("close", str(pid))
    doc = ok_json("show", str(pid))
    assert doc["quorum"]["reached"] is True and doc["leaders"] == ["Yak"]


# --- hidden results ----------------------------------------------------------


def _reveals(text: str) -> list[str]:
    """What in `text` would give away the count: option names, bars, shares, the leader mark."""
    return [w for w in ("Zebra", "Yak", "█", "%", "◀", "leads") if w in text]


def test_hidden_results_show_only_the_count_until_close_in_every_command(home: Path) -> None:
    pid = create("--hide-results", "--voters", f"{ME},bo,cy")
    p = str(pid)
    created = ok_json("create", "Other", "-o", "A", "-o", "B")  # an ordinary poll beside it stays visible
    ok("vote", str(created["id"]), "a", "--voter", "ana")
    vote_text = ok("vote", p, "zebra").stdout
    assert vote_text.startswith(f"{ME} voted Zebra in poll")  # your own ballot, echoed back to you
    # A revote says neither what it replaced nor whether it was the same.
    again = ok("vote", p, "zebra").stdout
    assert "changed vote to Zebra" in again and "nothing changed" not in again
    revote = ok_json("vote", p, "yak")
    assert revote["previous"] is None and revote["replaced"] is True
    ok("vote", p, "yak", "--voter", "bo")
    outputs = {
        "show": ok("show", p).stdout,
        "list": ok("list").stdout,
        "voters": ok("voters", p).stdout,
        "status": ok("status").stdout,
        "extend": ok("extend", p, "--by", "1m").stdout,
    }
    for name, text in outputs.items():
        leftover = [w for w in _reveals(text) if name != "show" or w not in ("Zebra", "Yak")]
        assert not leftover, (name, leftover, text)
    assert "2 ballots cast; results hidden until it closes" in flat(outputs["show"])
    assert "turnout: 2 of 3 voted" in outputs["show"]
    listed = [line for line in outputs["list"].splitlines() if line.strip().startswith(p)]
    assert "hidden" in listed[0]
    docs = {
        "show": ok_json("show", p),
        "list": next(d for d in ok_json("list")["polls"] if d["id"] == pid),
        "vote": ok_json("vote", p, "zebra", "--voter", "cy")["poll"],
        "revote": ok_json("vote", p, "zebra")["poll"],
        "unvote": ok_json("unvote", p)["poll"],  # withdrawn: nothing said of what it was
        "extend": ok_json("extend", p, "--by", "1m"),
    }
    for name, doc in docs.items():
        assert doc["results_hidden"] is True, name
        assert doc["leaders"] is None and doc["total_votes"] in (2, 3), name
        assert [o["votes"] for o in doc["options"]] == [None, None], name
        assert set(doc) >= {"rules", "roll", "quorum"} and "rounds" not in doc, name
    refused(home, ["unvote", p, "--voter", "bo"], f"poll {pid} hides its results: only bo may withdraw their own")
    refused(home, ["vote", p, "zebra", "--voter", "bo"], f"poll {pid} hides its results: only bo may replace their own")
    ok("vote", p, "yak")
    # After close, everything.
    ok("close", p)
    doc = ok_json("show", p)
    assert doc["results_hidden"] is False
    assert doc["leaders"] == ["Yak"] and [o["votes"] for o in doc["options"]] == [1, 2]
    assert "◀ winner" in ok("show", p).stdout


def test_hidden_ranked_results_hide_the_rounds_too(home: Path) -> None:
    pid = ok_json("create", "R", "-o", "Zebra", "-o", "Yak", "-o", "Emu", "--method", "ranked", "--hide-results")["id"]
    ok("vote", str(pid), "emu", "yak", "--voter", "ana")
    doc = ok_json("show", str(pid))
    assert not {"rounds", "irv_winner", "condorcet_winner", "schulze_ranking"} & set(doc)
    assert "round" not in ok("show", str(pid)).stdout and "Condorcet" not in ok("show", str(pid)).stdout


# --- anonymous ---------------------------------------------------------------


def test_an_anonymous_ballot_holds_no_name_account_or_time(home: Path) -> None:
    pid = create("--anonymous", "--voters", f"{ME},bo,cy")
    for voter, choice in ((ME, "zebra"), ("bo", "yak"), (ME, "yak")):
        ok("vote", str(pid), choice, "--voter", voter)
    conn = sqlite3.connect(home / "votr.db")
    rows = conn.execute("SELECT voter, voter_key, account, cast_at FROM ballots WHERE poll_id = ?", (pid,)).fetchall()
    assert len(rows) == 2
    for voter, key, account, cast_at in rows:
        assert voter == "" and account is None and cast_at == ""
        assert key not in (ME, "bo") and len(key) == 32  # a keyed hash, not the name
    # The log says that someone voted, never what; `voters` says who took part.
    for kind, _, detail in events(home, pid)[1:]:
        assert kind in ("voted", "changed vote") and detail is None
    assert [v["voter"] for v in ok_json("voters", str(pid))["voted"]] == ["bo", ME]
    # Revoting found the ballot through the hash: two ballots, Yak twice.
    assert [o["votes"] for o in ok_json("show", str(pid))["options"]] == [0, 2]
    revote = ok_json("vote", str(pid), "zebra")
    assert revote["previous"] is None and revote["replaced"] is True
    # The creator may enter a first ballot for someone, never replace or withdraw one: the count would tell.
    refused(home, ["vote", str(pid), "zebra", "--voter", "bo"], f"poll {pid} is anonymous: only bo may replace")
    refused(home, ["unvote", str(pid), "--voter", "bo"], f"poll {pid} is anonymous: only bo may withdraw")
    assert "anonymous" in ok("show", str(pid)).stdout


def test_an_anonymous_ballot_can_be_withdrawn_while_open(home: Path) -> None:
    pid = create("--anonymous")
    ok("vote", str(pid), "zebra")
    done = ok_json("unvote", str(pid))
    assert done["withdrawn"] is None and done["poll"]["total_votes"] == 0
    assert ok_json("voters", str(pid))["voted"] == []
    assert events(home, pid)[-1] == ("withdrew", ME, None)


# --- no revote, unvote ----------------------------------------------------------


def test_no_revote_refuses_a_second_ballot_and_unvote(home: Path) -> None:
    pid = create("--no-revote")
    ok("vote", str(pid), "zebra", "--voter", "ana")
    refused(
        home,
        ["vote", str(pid), "yak", "--voter", "ana"],
        "ana has voted in poll 1 already, and the poll allows no revoting",
    )
    refused(home, ["vote", str(pid), "zebra", "--voter", "ANA"], "allows no revoting")
    refused(
        home, ["unvote", str(pid), "--voter", "ana"], "poll 1 allows no revoting, so ana's ballot cannot be withdrawn"
    )
    assert "no revoting" in ok("show", str(pid)).stdout


def test_unvote_withdraws_a_ballot_and_the_log_records_it(home: Path) -> None:
    pid = create()
    ok("vote", str(pid), "zebra", "--voter", "ana")
    ok("vote", str(pid), "yak", "--voter", "bo")
    said = ok("unvote", str(pid), "--voter", "Ana").stdout
    assert said.startswith(f"ana withdrew their ballot (Zebra) from poll {pid}: Pick one; closes in ")
    doc = ok_json("show", str(pid))
    assert doc["total_votes"] == 1 and doc["leaders"] == ["Yak"]
    assert events(home, pid)[-1] == ("withdrew", "ana", {"option": "Zebra"})
    refused(home, ["unvote", str(pid), "--voter", "ana"], f"ana has no ballot in poll {pid} to withdraw")
    ok("vote", str(pid), "zebra", "--voter", "ana")  # and may vote again
    ok("close", str(pid))
    refused(home, ["unvote", str(pid), "--voter", "ana"], "it takes no more votes")


# --- close when all voted ---------------------------------------------------------


def test_the_last_ballot_on_the_roll_closes_the_poll(home: Path) -> None:
    pid = create("--voters", "ana,bo", "--close-when-all-voted")
    first = ok("vote", str(pid), "zebra", "--voter", "ana").stdout
    assert "closes in" in first
    # A revote is not a new voter: still open.
    ok("vote", str(pid), "yak", "--voter", "ana")
    assert ok_json("show", str(pid))["status"] == "open"
    last = ok("vote", str(pid), "yak", "--voter", "bo").stdout
    assert last.rstrip().endswith("everyone on the roll has voted, so the poll is closed")
    doc = ok_json("show", str(pid))
    assert doc["status"] == "closed" and doc["closed_at"] is not None and doc["leaders"] == ["Yak"]
    kind, actor, detail = events(home, pid)[-1]
    assert (kind, detail["reason"]) == ("closed early", "everyone on the roll has voted")
    refused(home, ["vote", str(pid), "zebra", "--voter", "ana"], "it takes no more votes")


def test_every_rule_shows_in_the_header_and_the_json(home: Path) -> None:
    pid = ok_json(
        "create", "All rules", *TWO, "--closes-in", "2h", "--voters", "ana,bo,cy,dee", "--quorum", "75%",
        "--hide-results", "--anonymous", "--no-revote", "--close-when-all-voted",
        "--remind-before", "1h", "--remind-before", "10m",
    )["id"]  # fmt: skip
    doc = ok_json("show", str(pid))
    assert doc["rules"] == {
        "hide_results": True,
        "anonymous": True,
        "no_revote": True,
        "close_when_all_voted": True,
        "remind_before": [3600, 600],
    }
    assert doc["roll"] == {"size": 4, "voted": 0}
    assert doc["quorum"] == {"needed": 3, "percent": 75, "reached": False}
    header = flat(ok("show", str(pid)).stdout)
    assert (
        "rules: roll of 4; quorum 3 ballots (75%); results hidden until it closes; anonymous; no revoting; "
        "closes when everyone on the roll has voted; reminders 1 hour, 10 minutes before the deadline"
    ) in header
    plain = ok_json("show", str(create()))
    assert plain["rules"] == {
        "hide_results": False,
        "anonymous": False,
        "no_revote": False,
        "close_when_all_voted": False,
        "remind_before": [],
    }
    assert plain["roll"] is None and plain["quorum"] is None


# --- bad input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--voters", "ana,,bo"], "the voter roll has an empty name (entry 2 of --voters)"),
        (["--voters", "ana,bo,"], "the voter roll has an empty name (entry 3 of --voters)"),
        (["--voters", "ana,bo,Ana"], "'Ana' is on the voter roll twice (entry 3 of --voters; also as 'ana')"),
        (["--voters", "ana,ＡＮＡ"], "is on the voter roll twice"),
        (["--voters", "ana"], "a voter roll needs at least 2 voters, not 1"),
        (["--voters", "ana,b\u200bo"], "holds the invisible or control character U+200B"),
        (
            ["--voters-file", "/nonexistent/roll.txt"],
            "cannot read the voters file '/nonexistent/roll.txt': it does not",
        ),
        (["--voters-file", "/"], "cannot read the voters file '/': it is a folder"),
        (["--quorum", "0"], "--quorum must be at least 1 ballot"),
        (["--quorum", "-1"], "--quorum takes a number of ballots (5) or a share of the roll (60%), not '-1'"),
        (["--quorum", "many"], "--quorum takes a number of ballots"),
        (["--quorum", "4", "--voters", "ana,bo,cy"], "--quorum 4 is more than the 3 voters on the roll"),
        (["--quorum", "50%"], "--quorum 50% is a share of the voter roll: give one with --voters or --voters-file"),
        (["--quorum", "0%", "--voters", "ana,bo"], "--quorum 0%: a share of the roll is from 1% to 100%"),
        (["--quorum", "101%", "--voters", "ana,bo"], "--quorum 101%: a share of the roll is from 1% to 100%"),
        (["--close-when-all-voted"], "--close-when-all-voted needs a voter roll"),
        (["--remind-before", "2h"], "--remind-before 2 hours is not shorter than the time the poll is open (2 hours)"),
        (["--remind-before", "3h"], "is not shorter than the time the poll is open"),
        (["--remind-before", "soon"], "can't read duration 'soon'"),
    ],
)
def test_bad_rules_are_refused_and_nothing_is_created(home: Path, extra: list[str], message: str) -> None:
    refused(home, ["create", "Q", *TWO, "--closes-in", "2h", *extra], message)
    assert not home.exists()  # not even the home


def test_bad_voter_files_are_refused(home: Path, tmp_path: Path) -> None:
    latin = tmp_path / "latin1.txt"
    latin.write_bytes(b"ana\nJos\xe9\n")
    refused(home, ["create", "Q", *TWO, "--voters-file", str(latin)], "is not UTF-8 text (byte 8)")
    dup = tmp_path / "dup.txt"
    dup.write_text("ana\nbo\n\nana # again\n")
    refused(
        home, ["create", "Q", *TWO, "--voters-file", str(dup)], f"'ana' is on the voter roll twice (line 4 of {dup}"
    )
    unreadable = tmp_path / "secret.txt"
    unreadable.write_text("ana\nbo\n")
    unreadable.chmod(0)
    import os

    if os.geteuid() != 0:  # root reads it anyway
        refused(home, ["create", "Q", *TWO, "--voters-file", str(unreadable)], "permission denied")


def test_voters_and_voters_file_together_is_a_usage_error(home: Path, tmp_path: Path) -> None:
    roll = tmp_path / "r.txt"
    roll.write_text("ana\nbo\n")
    refused(home, ["create", "Q", *TWO, "--voters", "a,b", "--voters-file", str(roll)], "exclude each other", 2)
