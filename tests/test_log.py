"""`votr log`: the event log oldest first, with what each poll's rules let it show."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from votr_cli.accounts import current

from .conftest import ok, ok_json, run, subprocess_env, votr_exe

ME = current()


def test_the_log_lists_every_kind_of_event_oldest_first(home: Path) -> None:
    pid = ok_json("create", "Lunch, today?", "-o", "Pizza", "-o", "Sushi", "--closes-in", "1h")["id"]
    ok("vote", str(pid), "pizza", "--voter", "ana")
    ok("vote", str(pid), "sushi", "--voter", "ana")
    ok("vote", str(pid), "pizza", "--voter", "bo")
    ok("unvote", str(pid), "--voter", "bo")
    ok("close", str(pid))
    ok("extend", str(pid), "--by", "1h")
    ok("extend", str(pid), "--by", "1h")
    other = ok_json("create", "Other", "-o", "a", "-o", "b")["id"]
    ok("delete", str(other), "--yes")
    doc = ok_json("log")
    kinds = [(e["poll"], e["event"]) for e in doc["events"]]
    assert kinds == [
        (pid, "created"),
        (pid, "voted"),
        (pid, "changed vote"),
        (pid, "voted"),
        (pid, "withdrew"),
        (pid, "closed early"),
        (pid, "reopened"),
        (pid, "extended"),
        (other, "created"),
        (other, "deleted"),
    ]
    assert [e["id"] for e in doc["events"]] == sorted(e["id"] for e in doc["events"])
    assert all(e["account"] == doc["events"][0]["account"] for e in doc["events"])
    assert doc["events"][1]["voter"] == "ana" and doc["events"][0]["voter"] is None
    lines = ok("log", str(pid)).stdout.splitlines()
    assert len(lines) == 8
    assert lines[0].endswith(f"poll {pid}  root  created 'Lunch, today?', closing " + lines[0].split("closing ")[1])
    said = [line.split("  ", 3)[3] for line in lines]
    assert said[1:6] == [
        "ana voted Pizza",
        "ana changed vote from Pizza to Sushi",
        "bo voted Pizza",
        "bo withdrew their ballot (Pizza)",
        "closed early by root",
    ]
    assert said[6].startswith("reopened to ") and said[7].startswith("extended to ")


def test_a_hidden_poll_logs_who_voted_but_not_what_until_it_closes(home: Path) -> None:
    pid = ok_json("create", "Secret", "-o", "Zebra", "-o", "Yak", "--hide-results")["id"]
    ok("vote", str(pid), "zebra")
    ok("vote", str(pid), "yak")
    ok("vote", str(pid), "yak", "--voter", "bo")
    ok("unvote", str(pid))
    ok("vote", str(pid), "zebra")
    text, doc = ok("log").stdout, ok_json("log", str(pid))
    assert "Zebra" not in text and "Yak" not in text and "Zebra" not in json.dumps(doc) and "Yak" not in json.dumps(doc)
    assert f"{ME} voted" in text and f"{ME} changed vote" in text and f"{ME} withdrew their ballot" in text
    assert "bo voted\n" in text
    ok("close", str(pid))
    assert f"{ME} changed vote from Zebra to Yak" in ok("log", str(pid)).stdout


def test_a_poll_deleted_while_hidden_stays_hidden_in_the_log(home: Path) -> None:
    pid = ok_json("create", "Secret", "-o", "Zebra", "-o", "Yak", "--hide-results")["id"]
    ok("vote", str(pid), "zebra", "--voter", "ana")
    ok("delete", str(pid), "--yes")
    assert "Zebra" not in ok("log").stdout
    assert "ana voted" in ok("log", str(pid)).stdout


def test_an_anonymous_poll_logs_that_someone_voted_never_what(home: Path) -> None:
    pid = ok_json("create", "Secret", "-o", "Zebra", "-o", "Yak", "--anonymous", "--closes-in", "1h")["id"]
    ok("vote", str(pid), "zebra")
    ok("vote", str(pid), "yak")
    ok("close", str(pid))
    text = ok("log", str(pid)).stdout
    assert f"{ME} voted\n" in text and f"{ME} changed vote\n" in text
    assert "Zebra" not in text and "Yak" not in text


def test_log_of_a_poll_there_never_was_is_an_error_and_an_empty_home_logs_nothing(home: Path) -> None:
    assert ok_json("log") == {"events": []}
    assert not home.exists()
    result = run("log", "7")
    assert result.exit_code == 1 and result.stderr.startswith("Error: no poll 7")


def test_log_into_a_closed_pipe_ends_quietly(home: Path) -> None:
    pid = ok_json("create", "Q", "-o", "a", "-o", "b")["id"]
    for i in range(300):
        ok("vote", str(pid), "a", "--voter", f"v{i}")
    done = subprocess.run(
        f"{votr_exe()} log --json | head -1", shell=True, env=subprocess_env(home), capture_output=True, text=True
    )
    assert done.stdout == "{\n" and done.stderr == ""


def test_imported_ballots_say_so_in_the_log(home: Path, tmp_path: Path) -> None:
    pid = ok_json("create", "Q", "-o", "a", "-o", "b")["id"]
    paper = tmp_path / "paper.csv"
    paper.write_text("voter,cast_at,choice_1\n,,a\n")
    ok("import", str(pid), str(paper))
    assert ok("log", str(pid)).stdout.splitlines()[-1].endswith("ballot-1 voted a (imported)")
