"""Issue 7, item 4: data is never markup or control (DESIGN.md invariant 6)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from votr_cli.text import json_text, safe

from .conftest import Daemon, make_poll, ok, run, wait_for

# U+009B is a one-byte CSI; U+202E flips text right to left; U+200B is invisible; U+E0041 a tag.
HOSTILE = "Lunch\x9b31m?\u202e gnol\u200b \U000e0041 \x1b]0;pwned\x07"
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b\u202e\U000e0041]")


def plant_title(home: Path, poll_id: int, title: str) -> None:
    """Data as an older votr (or anyone with the file) may have stored it, past today's checks."""
    conn = sqlite3.connect(home / "votr.db")
    with conn:
        conn.execute("UPDATE polls SET title = ? WHERE id = ?", (title, poll_id))
        conn.execute("UPDATE options SET name = ? WHERE poll_id = ? AND number = 1", (title[:20], poll_id))
    conn.close()


def test_stored_control_and_format_characters_never_reach_the_terminal(home: Path) -> None:
    pid = make_poll()
    plant_title(home, pid, HOSTILE)
    for args in (["show", str(pid)], ["list"], ["vote", str(pid), "2"], ["close", str(pid)], ["status"]):
        out = ok(*args)
        assert not RAW.search(out.stdout + out.stderr), (args, out.stdout)
    shown = ok("show", str(pid)).stdout
    assert "Lunch\\x9b31m?\\u202e gnol\\u200b \\U000e0041 \\x1b]0;pwned\\x07" in shown


def test_json_escapes_them_as_u_escapes_and_keeps_the_data(home: Path) -> None:
    pid = make_poll()
    plant_title(home, pid, HOSTILE)
    for args in (["show", str(pid), "--json"], ["list", "--json"]):
        out = ok(*args).stdout
        assert not RAW.search(out)
        assert "\\u009b" in out and "\\u202e" in out and "\\udb40\\udc41" in out
    assert ok("show", str(pid), "--json").stdout.count("\\u001b") == 1
    assert json.loads(ok("show", str(pid), "--json").stdout)["title"] == HOSTILE


def test_json_text_round_trips_every_unsafe_character() -> None:
    text = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0), 0xAD, 0x200B, 0x202E, 0x2028, 0xFEFF, 0xE0041])
    doc = json_text(json.dumps({"t": text}, ensure_ascii=False))
    assert doc.isascii() and json.loads(doc)["t"] == text
    assert safe("plain ascii") == "plain ascii" and safe("café") == "café"


def test_the_daemon_log_and_the_hook_input_carry_no_raw_control(
    tmp_path: Path, home: Path, daemons: Callable[..., Daemon]
) -> None:
    got = tmp_path / "hook-stdin"
    d = daemons("--on-close", f"sh -c 'cat > {got}'")
    pid = make_poll(closes_in="1s")
    plant_title(home, pid, HOSTILE)
    wait_for(got.exists, 10, "the hook")
    wait_for(lambda: "on-close hook for poll" in d.output() and "succeeded" in d.output(), 10, "the hook's end")
    assert d.stop() == 0
    log = d.output()
    assert f"closed poll {pid} " in log
    assert not RAW.search(log)
    assert "\\u009b" in log and "\\u202e" in log
    assert json.loads(got.read_text())["title"] == HOSTILE


def test_status_escapes_the_stored_daemon_version_and_host(home: Path) -> None:
    make_poll()
    from votr_cli.timefmt import to_iso, utcnow

    conn = sqlite3.connect(home / "votr.db")
    with conn:
        conn.execute(
            "INSERT INTO daemon (id, pid, host, started_at, last_beat, version) VALUES (1, ?, ?, ?, ?, ?)",
            (os.getpid(), "h\x1b[2J", to_iso(utcnow()), to_iso(utcnow()), "9\x1b[31m\u202e"),
        )
    conn.close()
    out = ok("status").stdout
    assert "running" in out and not RAW.search(out)
    assert "version 9\\x1b[31m\\u202e" in out


_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


def _systemd_words(line: str) -> list[str]:
    """ExecStart= read back as systemd reads it: blanks split, double quotes group, C escapes, %% and $$."""
    words, i = [], 0
    while i < len(line):
        if line[i] == " ":
            i += 1
            continue
        word = []
        if line[i] == '"':
            i += 1
            while line[i] != '"':
                if line[i] == "\\":
                    kind = line[i + 1]
                    if kind in "xuU":
                        n = {"x": 2, "u": 4, "U": 8}[kind]
                        word.append(chr(int(line[i + 2 : i + 2 + n], 16)))
                        i += 2 + n
                    else:
                        word.append(_C_ESCAPES[kind])
                        i += 2
                else:
                    word.append(line[i])
                    i += 1
            i += 1
        else:
            while i < len(line) and line[i] != " ":
                word.append(line[i])
                i += 1
        words.append("".join(word).replace("%%", "%").replace("$$", "$"))
    return words


def test_the_systemd_unit_cannot_be_injected_and_passes_every_option(tmp_path: Path) -> None:
    home = tmp_path / "50%$HOME\nExecStartPre=false"
    home.mkdir()
    hook = '/bin/echo "x\nExecStartPre=/bin/touch /tmp/pwned" 100% $HOME \\ \u202e'
    log_file = tmp_path / "d.log"
    unit = ok(
        "--home", str(home), "daemon", "--print-systemd-unit", "--on-close", hook, "--hook-timeout", "7.5",
        "--log-file", str(log_file), "--verbose", "--workers", "3",
    ).stdout  # fmt: skip
    lines = unit.splitlines()
    assert not any(line.startswith("ExecStartPre") for line in lines)
    assert sum(line.startswith("ExecStart=") for line in lines) == 1
    assert not RAW.search(unit.replace("\n", ""))
    description = next(line for line in lines if line.startswith("Description="))
    assert "50%%$HOME\\nExecStartPre=false" in description
    words = _systemd_words(next(line for line in lines if line.startswith("ExecStart="))[len("ExecStart=") :])
    assert words[1:] == [
        "-m", "votr_cli", "--home", str(home), "daemon", "--workers", "3", "--on-close", hook,
        "--hook-timeout", "7.5", "--log-file", str(log_file), "--verbose",
    ]  # fmt: skip
    if subprocess.run(["systemd-analyze", "--version"], capture_output=True).returncode == 0:
        unit_file = tmp_path / "votr-test.service"
        unit_file.write_text(unit)
        checked = subprocess.run(["systemd-analyze", "verify", str(unit_file)], capture_output=True, text=True)
        assert "Unknown key" not in checked.stderr and "ExecStartPre" not in checked.stderr


def test_nan_and_infinite_seconds_are_refused() -> None:
    for args in (
        ["demo", "--seconds", "nan"],
        ["daemon", "--hook-timeout", "nan"],
        ["daemon", "--hook-timeout", "inf"],
    ):
        result = run(*args)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith("Error: Invalid value for") and len(result.stderr.splitlines()) == 1
