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
