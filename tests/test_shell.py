"""At home in the shell: help that teaches, options where a user types them, output that pipes."""

from __future__ import annotations

from pathlib import Path

from votr_cli.cli import COMMANDS, SECTIONS

from .conftest import make_poll, ok, ok_json, run


def test_bare_votr_prints_the_help_grouped_by_use_and_exits_0() -> None:
    result = run()
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Usage: ") and "Example:" in out and result.stderr == ""
    headings = [line[:-1] for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert headings == ["Options", "Polls", "Voting", "Results", "The daemon"]
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("  ") and line.split()[0] in COMMANDS]
    assert sorted(listed) == sorted(COMMANDS)  # every command, once, in its section
    assert {name for _, names in SECTIONS for name in names} >= set(COMMANDS)


def test_closes_in_help_lists_every_duration_form() -> None:
    out = " ".join(ok("create", "--help").stdout.split())
    for form in ("90s", "45m", "2h", "1h30m", "1d", "2w", "'2 hours'", "1.5h", "'in 2 hours'"):
        assert form in out, form


def test_home_works_after_the_command_name(tmp_path: Path) -> None:
    other = tmp_path / "other"
    pid = ok_json("create", "Elsewhere", "-o", "a", "-o", "b", "--home", str(other))["id"]
    assert (other / "votr.db").exists()
    assert [p["title"] for p in ok_json("list", "--home", str(other))["polls"]] == ["Elsewhere"]
    assert ok_json("list")["polls"] == []  # VOTR_HOME's store was never made
    assert ok_json("show", str(pid), "--home", str(other))["title"] == "Elsewhere"
    empty = run("list", "--home", "")
    assert empty.exit_code == 2 and "--home is empty" in empty.stderr


def test_status_names_the_home_it_looks_at(home: Path) -> None:
    make_poll()
    assert ok("status").stdout.splitlines()[0] == f"home: {home}"


def test_the_installed_votr_with_no_arguments_exits_0(home: Path) -> None:
    import subprocess

    from .conftest import subprocess_env, votr_exe

    done = subprocess.run([votr_exe()], env=subprocess_env(home), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.startswith("Usage: votr [OPTIONS] [COMMAND]") and done.stderr == ""


def _pty_run(argv: list[str], env: dict[str, str]) -> str:
    """What a command prints on a real pseudo-terminal."""
    from .conftest import Terminal

    return Terminal(argv, env).finish(timeout=30)[1]


def test_piped_tables_never_wrap_and_end_in_no_blank(home: Path) -> None:
    long_title = "A very long question, with commas, that would wrap any terminal " * 2
    pid = make_poll("Pizza", "Sushi", title=long_title.strip())
    make_poll(title="Short")
    ok("vote", str(pid), "pizza", "--voter", "ana")
    for args in (["list"], ["show", str(pid)], ["voters", str(pid)], ["status"]):
        out = ok(*args).stdout
        assert out.endswith("\n")
        for line in out.splitlines():
            assert line == line.rstrip(), (args, line)
    rows = ok("list").stdout.splitlines()
    assert len(rows) == 3  # a header, and one line per poll however long its title
    assert rows[1].startswith(f"{pid}  {long_title.strip()}") and rows[1].endswith(")")
    shown = ok("show", str(pid)).stdout.splitlines()
    assert shown[0] == f"Poll {pid}: {long_title.strip()}"
    assert shown[-1].startswith("closes in ") and shown[-1].endswith("Pizza leads with 1 of 1 vote")


def test_on_a_narrow_terminal_the_bars_shrink_before_anything_wraps(home: Path) -> None:
    from .conftest import subprocess_env, votr_exe

    pid = make_poll("Pizza", "Sushi")
    ok("vote", str(pid), "pizza", "--voter", "ana")
    bars = {}
    for columns in ("100", "60", "45"):
        out = _pty_run([votr_exe(), "show", str(pid)], subprocess_env(home, COLUMNS=columns))
        row = next(line for line in out.splitlines() if "Pizza" in line and "%" in line)
        bars[columns] = row.count("█")
        assert "◀ leader" in row  # the mark stays on its row: nothing wrapped
    assert bars["100"] == 30 and 0 < bars["60"] < 30 and bars["45"] < bars["60"]
    import re

    long = make_poll("A rather long option name that wraps", "Short")
    ok("vote", str(long), "short", "--voter", "a")
    out = _pty_run([votr_exe(), "show", str(long)], subprocess_env(home, COLUMNS="40"))
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    assert max(len(line) for line in plain.splitlines() if not line.startswith("hint:")) <= 40
    assert "█" not in plain and "Short" in plain  # no room for bars at all: they went first


def test_a_terminal_that_cannot_show_the_bars_gets_ascii(home: Path) -> None:
    import subprocess

    from .conftest import subprocess_env, votr_exe

    pid = make_poll("寿司", "Ramen", title="寿司 or ramen?")
    ok("vote", str(pid), "1", "--voter", "ana")
    env = subprocess_env(home, PYTHONIOENCODING="latin-1")
    for args in (["show", str(pid)], ["list"], ["show", str(pid), "--json"]):
        done = subprocess.run([votr_exe(), *args], env=env, capture_output=True, timeout=30)
        assert done.returncode == 0, done.stderr
        assert b"Traceback" not in done.stderr
        done.stdout.decode("latin-1")
    shown = subprocess.run([votr_exe(), "show", str(pid)], env=env, capture_output=True, timeout=30).stdout.decode()
    assert "##############################  < leader" in shown
    assert "\\u5bff\\u53f8 leads with 1 of 1 vote" in shown


def test_plurals_are_right(home: Path) -> None:
    pid = make_poll()
    ok("vote", str(pid), "pizza", "--voter", "ana")
    assert ok("show", str(pid)).stdout.rstrip().endswith("Pizza leads with 1 of 1 vote")
    assert ok("delete", str(pid), "--yes").stdout == f"Deleted poll {pid}: Lunch? (1 vote)\n"


def test_list_shows_the_50_soonest_and_says_how_many_more(home: Path) -> None:

    from votr_cli import newpoll, store
    from votr_cli.timefmt import utcnow

    conn = store.connect(home)
    from datetime import timedelta

    for i in range(60):
        newpoll.create_poll(conn, f"Poll {i}", ["a", "b"], utcnow() + timedelta(hours=60 - i), utcnow, "root")
    conn.close()
    result = ok("list")
    rows = result.stdout.splitlines()[1:]
    assert len(rows) == 50
    assert rows[0].split()[0] == "60" and rows[-1].split()[0] == "11"  # the soonest deadlines first
    assert result.stderr.startswith("and 10 more open polls: `votr list --limit 0` shows them all\n")
    assert len(ok("list", "--limit", "0").stdout.splitlines()) == 61
    doc = ok_json("list", "--limit", "5")
    assert [p["id"] for p in doc["polls"]] == [60, 59, 58, 57, 56] and doc["more"] == 55
    everything = ok_json("list", "--limit", "0")
    assert len(everything["polls"]) == 60 and everything["more"] == 0
    assert "more" not in ok("list", "--limit", "60").stderr
    bad = run("list", "--limit", "-1")
    assert bad.exit_code == 2


def test_streamed_json_is_the_document_print_json_would_print(home: Path) -> None:
    import io
    import json
    from contextlib import redirect_stdout

    from votr_cli.commands._common import print_json, print_json_stream

    items = [{"id": 1, "title": "a\nb \u202e", "options": [{"n": 1}], "empty": []}, {"id": 2, "x": None}]
    for given in (items, []):
        streamed, whole = io.StringIO(), io.StringIO()
        with redirect_stdout(streamed):
            print_json_stream("polls", iter(given), lambda: {"more": 3, "tail": {"k": [1]}})
        with redirect_stdout(whole):
            print_json({"polls": given, "more": 3, "tail": {"k": [1]}})
        assert streamed.getvalue() == whole.getvalue()
        assert json.loads(streamed.getvalue())["polls"] == given


def _complete(args: list[str], incomplete: str) -> list[tuple[str, str | None]]:
    from click.shell_completion import ShellComplete

    from votr_cli.cli import cli

    items = ShellComplete(cli, {}, "votr", "_VOTR_COMPLETE").get_completions(args, incomplete)
    return [(i.value, i.help) for i in items]


def test_poll_completes_to_open_polls_with_their_titles(home: Path) -> None:
    lunch = make_poll(title="Lunch?")
    retro = make_poll(title="Retro topic")
    closed = make_poll(title="Old one")
    ok("close", str(closed))
    for command in ("vote", "show", "close", "extend", "unvote", "voters", "watch", "wait", "export", "log"):
        assert _complete([command], "") == [(str(lunch), "Lunch?"), (str(retro), "Retro topic")], command
    assert _complete(["show"], str(retro)) == [(str(retro), "Retro topic")]
    assert _complete(["--home", str(home.parent / "nowhere"), "show"], "") == []  # no store: no suggestions


def test_choice_completes_to_the_polls_options_and_method_to_the_methods(home: Path) -> None:
    pid = make_poll("Pizza", "Sushi", "Pasta")
    assert [v for v, _ in _complete(["vote", str(pid)], "")] == ["Pizza", "Sushi", "Pasta"]
    assert [v for v, _ in _complete(["vote", str(pid)], "p")] == ["Pizza", "Pasta"]  # any case
    assert [v for v, _ in _complete(["vote", str(pid), "pizza"], "")] == ["Pizza", "Sushi", "Pasta"]
    score = ok_json("create", "S", "-o", "A", "-o", "B", "--method", "score")["id"]
    assert [v for v, _ in _complete(["vote", str(score)], "")] == ["A=", "B="]
    assert _complete(["vote", "99"], "") == []
    assert [v for v, _ in _complete(["create", "Q", "--method"], "")] == ["single", "approval", "ranked", "score"]
    assert [v for v, _ in _complete(["create", "Q", "--method"], "r")] == ["ranked"]


def test_the_shells_get_their_completion_scripts(home: Path) -> None:
    import subprocess

    from .conftest import subprocess_env, votr_exe

    for shell, marker in (
        ("bash", "_votr_completion()"),
        ("zsh", "#compdef votr"),
        ("fish", "function _votr_completion"),
    ):
        env = subprocess_env(home, _VOTR_COMPLETE=f"{shell}_source")
        done = subprocess.run([votr_exe()], env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0 and marker in done.stdout, (shell, done.stdout[:200], done.stderr)


def test_more_polls_than_sqlite_has_variables_still_list(home: Path) -> None:
    """A stock SQLite takes at most 32,766 parameters a query: no query may grow with the number of polls."""
    import sqlite3

    from votr_cli import store
    from votr_cli.accounts import current
    from votr_cli.timefmt import to_iso, utcnow

    store.connect(home).close()
    conn = sqlite3.connect(home / "votr.db")
    closes = to_iso(utcnow().replace(year=utcnow().year + 1, month=1, day=1))
    n = 33_000
    with conn:
        conn.executemany(
            "INSERT INTO polls (id, title, created_at, created_by, closes_at) VALUES (?, ?, ?, ?, ?)",
            [(i, f"P{i}", to_iso(utcnow()), current(), closes) for i in range(1, n + 1)],
        )
        conn.executemany(
            "INSERT INTO options (poll_id, number, name) VALUES (?, ?, ?)",
            [(i, k, name) for i in range(1, n + 1) for k, name in ((1, "a"), (2, "b"))],
        )
    conn.close()
    doc = ok_json("list", "--all", "--limit", "0")
    assert len(doc["polls"]) == n and doc["more"] == 0
    assert len(ok("list", "--all").stdout.splitlines()) == 51


def test_completion_reads_the_home_given_after_the_command(home: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    pid = ok_json("create", "Elsewhere", "-o", "Kiwi", "-o", "Fig", "--home", str(other))["id"]
    assert _complete(["vote", "--home", str(other)], "") == [(str(pid), "Elsewhere")]
    assert [v for v, _ in _complete(["vote", str(pid), "--home", str(other)], "")] == ["Kiwi", "Fig"]


def test_a_poll_damaged_by_hand_is_one_error_line_and_completion_stays_quiet(home: Path) -> None:
    import sqlite3

    good = make_poll(title="Good")
    bad = make_poll(title="Bad")
    conn = sqlite3.connect(home / "votr.db")
    for sql in ("UPDATE polls SET closes_at = 'garbage' WHERE id = ?", "UPDATE polls SET method = 'bogus' WHERE id = ?",
                "UPDATE polls SET title = X'FF' WHERE id = ?"):  # fmt: skip
        with conn:
            conn.execute("UPDATE polls SET closes_at = (SELECT closes_at FROM polls WHERE id = ?), method = 'single', "
                         "title = 'Bad' WHERE id = ?", (good, bad))  # fmt: skip
            conn.execute(sql, (bad,))
        for args in (["show", str(bad)], ["export", str(bad)], ["list"]):
            result = run(*args)
            assert result.exit_code == 1 and "Traceback" not in result.output, (sql, args, result.output)
            assert result.stderr.startswith(f"Error: poll {bad} is damaged in the store ("), (sql, result.stderr)
        assert _complete(["vote"], "") == []
    conn.close()
    assert ok_json("show", str(good))["title"] == "Good"


def test_list_limit_and_order_and_bare_votr_with_an_empty_home_variable(home: Path, monkeypatch) -> None:  # noqa: ANN001
    assert run("list", "--limit", "99999999999999999999").exit_code == 2
    first, second = make_poll(title="First"), make_poll(title="Second")
    ok("close", str(first))
    ok("close", str(second))
    assert [p["id"] for p in ok_json("list", "--closed")["polls"]] == [second, first]  # the latest closed first
    monkeypatch.setenv("VOTR_HOME", "")
    result = run()
    assert result.exit_code == 0 and result.stdout.startswith("Usage: ")
