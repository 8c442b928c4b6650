"""The commands' happy paths, as a user sees them through CliRunner."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from votr_cli.cli import COMMANDS

from .conftest import make_poll, ok, ok_json, run


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(command: str) -> None:
    out = ok(command, "--help").stdout
    assert "Example:" in out
    assert f"votr {command}" in out


def test_root_help_and_version() -> None:
    assert "Example:" in ok("--help").stdout
    assert ok("--version").stdout.startswith("votr, version ")


def test_create_then_show_json_matches_the_contract() -> None:
    created = ok_json("create", "Lunch?", "-o", "Pizza", "-o", "Sushi", "--closes-in", "2h")
    shown = ok_json("show", str(created["id"]))
    assert shown["id"] == created["id"] == 1
    assert shown["title"] == "Lunch?"
    assert shown["status"] == "open"
    assert shown["closed_at"] is None and shown["finalized_at"] is None
    assert shown["total_votes"] == 0
    assert shown["options"] == [{"number": 1, "name": "Pizza", "votes": 0}, {"number": 2, "name": "Sushi", "votes": 0}]
    assert shown["leaders"] == []
    from votr_cli.timefmt import from_iso

    span = from_iso(shown["closes_at"]) - from_iso(shown["created_at"])
    assert span.total_seconds() == 7200


def test_default_deadline_is_24_hours() -> None:
    from votr_cli.timefmt import from_iso

    poll = ok_json("create", "Q", "-o", "a", "-o", "b")
    assert (from_iso(poll["closes_at"]) - from_iso(poll["created_at"])).total_seconds() == 24 * 3600


def test_vote_by_name_number_and_replace() -> None:
    pid = make_poll("Pizza", "Sushi")
    out = ok("vote", str(pid), "PIZZA", "--voter", "ana").stdout
    assert out.startswith("ana voted Pizza in poll 1: Lunch?; closes in 2 hours (")
    ok("vote", str(pid), "2", "--voter", "bo")
    changed = ok("vote", str(pid), "sushi", "--voter", "ana").stdout
    assert changed.startswith("ana changed vote from Pizza to Sushi")
    again = ok("vote", str(pid), "sushi", "--voter", "ana").stdout
    assert "already voted Sushi" in again
    poll = ok_json("show", str(pid))
    assert [o["votes"] for o in poll["options"]] == [0, 2]
    assert poll["total_votes"] == 2 and poll["leaders"] == ["Sushi"]


def test_vote_json_and_default_voter_is_login_name() -> None:
    import getpass

    pid = make_poll()
    result = ok_json("vote", str(pid), "1")
    assert result["voter"] == getpass.getuser()
    assert result["choice"] == "Pizza" and result["previous"] is None
    assert result["poll"]["total_votes"] == 1


def test_an_option_named_like_a_number_is_chosen_by_name() -> None:
    pid = make_poll("1", "2", "3")
    ok("vote", str(pid), "2", "--voter", "ana")
    assert ok_json("show", str(pid))["options"][1]["votes"] == 1
    pid = make_poll("Tea", "3")
    ok("vote", str(pid), "3", "--voter", "ana")  # the option named "3", not a third option
    assert [o["votes"] for o in ok_json("show", str(pid))["options"]] == [0, 1]


def test_show_draws_a_tally_with_a_tie_named() -> None:
    pid = make_poll("Pizza", "Sushi", "Tacos")
    for voter, choice in [("a", "Pizza"), ("b", "Sushi"), ("c", "Pizza"), ("d", "Sushi")]:
        ok("vote", str(pid), choice, "--voter", voter)
    out = ok("show", str(pid)).stdout
    assert "Poll 1: Lunch?" in out
    assert "\x1b[" not in out  # NO_COLOR and not a terminal: no escape codes
    lines = {line.split()[1]: line for line in out.splitlines() if line.strip()[:1].isdigit()}
    assert "50%" in lines["Pizza"] and "█" in lines["Pizza"] and "◀ tie" in lines["Pizza"]
    assert "0%" in lines["Tacos"] and "◀" not in lines["Tacos"]
    assert "Pizza and Sushi tied at 2 votes each" in out
    assert "closes in 2 hours (" in out


def test_piped_show_keeps_each_option_on_one_line_whatever_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # a terminal's width; a pipe has none, and nothing wraps there
    pid = make_poll("A rather long option name that would wrap", "Short")
    ok("vote", str(pid), "short", "--voter", "a")
    out = ok("show", str(pid)).stdout
    assert any(line.startswith("1  A rather long option name that would wrap ") for line in out.splitlines())
    assert "Short" in out


def test_list_sorts_by_deadline_and_filters() -> None:
    late = make_poll(title="Later", closes_in="3h")
    soon = make_poll(title="Sooner", closes_in="1h")
    ok("vote", str(soon), "Sushi", "--voter", "a")
    gone = make_poll(title="Gone", closes_in="2h")
    ok("close", str(gone))
    listed = ok_json("list")["polls"]
    assert [p["id"] for p in listed] == [soon, late]
    assert [p["id"] for p in ok_json("list", "--closed")["polls"]] == [gone]
    assert {p["id"] for p in ok_json("list", "--all")["polls"]} == {soon, late, gone}
    out = ok("list").stdout
    assert out.index("Sooner") < out.index("Later") and "Gone" not in out
    sooner = next(line for line in out.splitlines() if "Sooner" in line)
    assert "Sushi" in sooner and "closes in 1 hour (" in sooner


def test_list_empty_says_so() -> None:
    assert "No open polls" in ok("list").stdout


def test_close_stops_votes_and_reads_as_closed() -> None:
    pid = make_poll()
    ok("vote", str(pid), "pizza", "--voter", "a")
    out = ok("close", str(pid)).stdout
    assert out.startswith("Closed poll 1: Lunch?; closed just now; Pizza won with 1 of 1 vote")
    poll = ok_json("show", str(pid))
    assert poll["status"] == "closed" and poll["closed_at"] is not None
    refused = run("vote", str(pid), "sushi", "--voter", "b")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("Error: poll 1 closed ") and "no more votes" in refused.stderr


def test_extend_by_and_to_and_reopen() -> None:
    from votr_cli.timefmt import from_iso, utcnow

    pid = make_poll(closes_in="1h")
    before = from_iso(ok_json("show", str(pid))["closes_at"])
    moved = ok_json("extend", str(pid), "--by", "30m")
    assert (from_iso(moved["closes_at"]) - before).total_seconds() == 1800
    ok("close", str(pid))
    t0 = utcnow()
    out = ok("extend", str(pid), "--by", "10m").stdout
    t1 = utcnow()
    assert out.startswith("Reopened poll 1: Lunch?; closes in 10 minutes (")
    poll = ok_json("show", str(pid))
    assert poll["status"] == "open" and poll["closed_at"] is None
    # A poll closed early reopens for the extension counted from now, not from its old deadline.
    reopened_until = from_iso(poll["closes_at"])
    assert t0 + timedelta(minutes=10) - timedelta(milliseconds=1) <= reopened_until <= t1 + timedelta(minutes=10)
    moved = ok_json("extend", str(pid), "--to", (before.replace(microsecond=0)).isoformat())
    assert from_iso(moved["closes_at"]) == before.replace(microsecond=0)


def test_delete_with_yes_and_refusal_without_a_terminal() -> None:
    pid = make_poll()
    refused = run("delete", str(pid))
    assert refused.exit_code == 1
    assert refused.stderr == "Error: not deleting poll 1 without --yes (no terminal to ask on)\n"
    assert ok("delete", str(pid), "--yes").stdout == "Deleted poll 1: Lunch? (0 votes)\n"
    assert run("show", str(pid)).exit_code == 1


def test_every_change_is_in_the_event_log(home: Path) -> None:
    pid = make_poll()
    ok("vote", str(pid), "pizza", "--voter", "ana")
    ok("vote", str(pid), "sushi", "--voter", "ana")
    ok("close", str(pid))
    ok("extend", str(pid), "--by", "1h")
    ok("extend", str(pid), "--by", "1h")
    ok("delete", str(pid), "--yes")
    conn = sqlite3.connect(home / "votr.db")
    rows = conn.execute("SELECT kind, actor FROM events WHERE poll_id = ? ORDER BY id", (pid,)).fetchall()
    kinds = [k for k, _ in rows]
    assert kinds == ["created", "voted", "changed vote", "closed early", "reopened", "extended", "deleted"]
    assert rows[1][1] == "ana"


def test_titles_and_names_are_never_markup() -> None:
    pid = make_poll("[bold red]x[/]", "red", title="[link=http://x]hi[/link]")
    ok("vote", str(pid), "1", "--voter", "[blink]eve")
    for args in (("show", str(pid)), ("list",), ("vote", str(pid), "1", "--voter", "[blink]eve")):
        out = ok(*args).stdout
        assert "\x1b" not in out
    shown = ok("show", str(pid)).stdout
    assert "[bold red]x[/]" in shown and "[link=http://x]hi[/link]" in shown


def test_colour_follows_the_terminal_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    pid = make_poll()
    ok("vote", str(pid), "pizza", "--voter", "a")
    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich then draws as for a terminal
    monkeypatch.delenv("NO_COLOR")
    coloured = ok("show", str(pid)).stdout
    assert "\x1b[32m" in coloured  # the leader's bar is green on a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    plain = ok("show", str(pid)).stdout
    assert "\x1b[32m" not in plain and "\x1b[34m" not in plain
    assert "█" in plain


def test_event_details_are_json(home: Path) -> None:
    import json

    pid = make_poll()
    ok("vote", str(pid), "pizza", "--voter", "ana")
    ok("vote", str(pid), "sushi", "--voter", "ana")
    conn = sqlite3.connect(home / "votr.db")
    details = [json.loads(d) for (d,) in conn.execute("SELECT detail FROM events ORDER BY id")]
    assert details[1:] == [{"option": "Pizza"}, {"option": "Sushi", "previous": "Pizza"}]
    assert (
        details[0]["title"] == "Lunch?"
        and details[0]["hide_results"] is False
        and set(details[0]) == {"closes_at", "title", "hide_results"}
    )


def test_a_deleted_polls_number_is_not_given_out_again() -> None:
    first = make_poll()
    second = make_poll()
    ok("delete", str(second), "--yes")
    third = make_poll()
    assert (first, second, third) == (1, 2, 3)
