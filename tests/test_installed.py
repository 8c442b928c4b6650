"""The installed `votr`, run as a user runs it: whole processes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import subprocess_env, votr_exe


def votr(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([votr_exe(), *args], env=subprocess_env(home), capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_python_dash_m_works_the_same(home: Path) -> None:
    votr(home, "create", "Lunch?", "-o", "Pizza", "-o", "Sushi")
    via_m = subprocess.run(
        [sys.executable, "-m", "votr_cli", "show", "1", "--json"],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert via_m.returncode == 0, via_m.stderr
    assert json.loads(via_m.stdout) == json.loads(votr(home, "show", "1", "--json").stdout)
    assert (
        "Usage: votr"
        in subprocess.run([sys.executable, "-m", "votr_cli", "--help"], capture_output=True, text=True).stdout
    )


def test_errors_are_one_line_without_traceback(home: Path) -> None:
    votr(home, "create", "Lunch?", "-o", "Pizza", "-o", "Sushi")
    result = votr(home, "vote", "7", "pizza", check=False)
    assert result.returncode == 1
    assert result.stderr == "Error: no poll 7: `votr list --all` shows the polls there are\n"
    assert result.stdout == ""


def test_vote_imports_no_heavy_module(home: Path) -> None:
    votr(home, "create", "Lunch?", "-o", "Pizza", "-o", "Sushi")
    # -X importtime does not see importlib.import_module, which the lazy group uses; sys.modules does.
    code = (
        "import sys, json\n"
        "from votr_cli.cli import cli\n"
        "cli.main(sys.argv[1:], prog_name='votr', standalone_mode=False)\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "vote", "1", "pizza", "--voter", "ana"],
        env=subprocess_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ana voted Pizza")
    imported = set(json.loads(result.stderr.splitlines()[-1]))
    assert "votr_cli.commands.vote" in imported
    heavy = ("huey", "sqlite_utils", "rich", "rich.console", "dateutil.parser", "votr_cli.commands.show")
    # No date parsing on the vote path either: it shows times, it reads none.
    for module in (*heavy, "votr_cli.timeparse", "votr_cli.zones", "zoneinfo"):
        assert module not in imported, f"votr vote imported {module}"


def test_many_writers_lose_nothing(home: Path) -> None:
    """8 processes, each casting 50 ballots through the installed votr, all at once."""
    votr(home, "create", "Load", "-o", "red", "-o", "green", "-o", "blue")
    exe = votr_exe()
    script = (
        "for i in $(seq 1 50); do "
        f'"{exe}" vote 1 $(( (i + W) % 3 + 1 )) --voter "w$W-v$i" >/dev/null || echo "FAIL $W $i" >&2; done'
    )
    workers = [
        subprocess.Popen(["bash", "-c", script], env=subprocess_env(home, W=str(w)), stderr=subprocess.PIPE, text=True)
        for w in range(8)
    ]
    failures = [w.communicate(timeout=240)[1] for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert "".join(failures) == ""
    poll = json.loads(votr(home, "show", "1", "--json").stdout)
    assert poll["total_votes"] == 400
    expected = [sum(1 for w in range(8) for i in range(1, 51) if (i + w) % 3 + 1 == n) for n in (1, 2, 3)]
    assert [o["votes"] for o in poll["options"]] == expected


def test_home_unwritable_for_this_user(tmp_path: Path) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o500)
    prefix: list[str] = []
    if os.geteuid() == 0:
        # Root ignores permission bits; without its capabilities it is held to them like anyone.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and util-linux's setpriv is missing")
        prefix = [setpriv, "--inh-caps=-all", "--bounding-set=-all", "--reuid=0"]
    result = subprocess.run(
        [*prefix, votr_exe(), "--home", str(folder), "create", "Q", "-o", "a", "-o", "b"],
        env=subprocess_env(folder),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == f"Error: cannot write to home folder '{folder}': permission denied\n"
    assert list(folder.iterdir()) == []
