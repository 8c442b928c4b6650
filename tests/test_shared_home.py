"""Issue 7, items 2 and 5: a group home is hostile ground (DESIGN.md invariant 9), and errors say what is wrong."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import Accounts, Daemon, make_poll, ok, run, store_digest, subprocess_env, votr_exe

PRECIOUS = b"B's thesis, chapter 3\n"


@pytest.fixture
def precious(tmp_path: Path) -> Path:
    victim = tmp_path / "precious.txt"
    victim.write_bytes(PRECIOUS)
    return victim


def one_error(result: object, status: int = 1) -> str:
    assert result.exit_code == status, result.output  # type: ignore[attr-defined]
    lines = result.stderr.splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr  # type: ignore[attr-defined]
    return lines[0]


@pytest.mark.parametrize("name", ["votr.db", "votr.db-wal", "votr.db-shm"])
def test_a_planted_symlink_in_place_of_the_store_is_refused(home: Path, precious: Path, name: str) -> None:
    home.mkdir()
    before = None
    if name != "votr.db":
        make_poll()
        gc.collect()  # the in-process command's connection closes now, not while the symlink is planted
        (home / name).unlink(missing_ok=True)
        before = store_digest(home)
    (home / name).symlink_to(precious)
    for args in (["list"], ["create", "Q", "-o", "a", "-o", "b"], ["vote", "1", "a"]):
        line = one_error(run(*args))
        assert f"'{home / name}' is a symbolic link" in line
    assert precious.read_bytes() == PRECIOUS
    if before is not None:
        (home / name).unlink()
        assert store_digest(home) == before


def test_a_dangling_symlink_or_a_folder_in_place_of_the_store_is_refused(home: Path, tmp_path: Path) -> None:
    home.mkdir()
    (home / "votr.db").symlink_to(tmp_path / "nowhere")
    assert "is a symbolic link" in one_error(run("create", "Q", "-o", "a", "-o", "b"))
    assert not (tmp_path / "nowhere").exists()
    (home / "votr.db").unlink()
    (home / "votr.db").mkdir()
    assert f"'{home / 'votr.db'}' is a folder" in one_error(run("list"))


def test_a_planted_queue_symlink_never_becomes_a_database(home: Path, precious: Path) -> None:
    home.mkdir()
    (home / "queue.db").symlink_to(precious)
    result = run("create", "Q", "-o", "a", "-o", "b", "--closes-in", "1h")
    assert result.exit_code == 0, result.output
    assert "could not queue the close" in result.stderr and "is a symbolic link" in result.stderr
    assert precious.read_bytes() == PRECIOUS
    assert ok("show", "1", "--json").stdout  # the poll is stored: the store is the truth


@pytest.mark.parametrize("plant", ["symlink", "dangling", "folder"])
def test_the_daemon_ignores_anything_planted_as_a_lock_and_sets_a_planted_queue_aside(
    home: Path, precious: Path, tmp_path: Path, daemons: Callable[..., Daemon], plant: str
) -> None:
    pid = make_poll(closes_in="1h")
    lock = home / "daemon.lock"
    if plant == "symlink":
        lock.symlink_to(precious)
    elif plant == "dangling":
        lock.symlink_to(tmp_path / "nowhere")
    else:
        lock.mkdir()
    for name in ("queue.db", "queue.db-wal", "queue.db-shm"):
        (home / name).unlink(missing_ok=True)
    (home / "queue.db").symlink_to(precious)
    d = daemons()
    assert precious.read_bytes() == PRECIOUS and not (tmp_path / "nowhere").exists()
    assert "queue" in d.output() and "is a symbolic link" in d.output() and "moved it to" in d.output()
    assert (home / "queue.db").is_file() and not (home / "queue.db").is_symlink()
    ok("close", str(pid))
    d.stop()


def test_removing_every_file_but_the_store_lets_no_second_daemon_start(
    home: Path, daemons: Callable[..., Daemon]
) -> None:
    first = daemons()
    for path in home.iterdir():
        if not path.name.startswith("votr.db"):
            path.unlink()
    second = subprocess.run(
        [votr_exe(), "daemon"], env=subprocess_env(home), capture_output=True, text=True, timeout=30
    )
    assert second.returncode == 1
    assert second.stderr == f"Error: a daemon is already running on '{home}' (pid {first.proc.pid})\n"


def test_a_home_whose_parent_is_missing_is_an_error_not_a_new_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    typo = tmp_path / "typo" / "votr"
    monkeypatch.setenv("VOTR_HOME", str(typo))
    assert "its parent folder does not exist" in one_error(run("create", "Q", "-o", "a", "-o", "b"))
    assert not (tmp_path / "typo").exists()


def test_reading_commands_create_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typo = tmp_path / "typo"
    monkeypatch.setenv("VOTR_HOME", str(typo))
    assert "no polls in" in one_error(run("vote", "1", "a"))
    assert "no polls in" in one_error(run("show", "1"))
    assert ok("list").stdout.startswith("No open polls")
    assert ok_status_home(typo)
    assert not typo.exists()


def ok_status_home(home: Path) -> bool:
    import json

    doc = json.loads(ok("status", "--json").stdout)
    return doc["home"] == str(home) and doc["daemon"]["running"] is False and doc["pending_closes"] == 0


def test_an_empty_votr_home_is_a_usage_error_like_an_empty_home_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOTR_HOME", "")
    assert one_error(run("list"), 2).startswith("Error: VOTR_HOME is empty")
    monkeypatch.setenv("VOTR_HOME", "/tmp")
    assert one_error(run("--home", "", "list"), 2).startswith("Error: --home is empty")


def test_create_without_options_is_a_usage_error() -> None:
    assert "Missing option '-o'" in one_error(run("create", "Q"), 2)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root meets a folder it may not create files in despite its mode")
def test_a_system_folder_as_home_is_one_error_line() -> None:
    listed = subprocess.run([votr_exe(), "--home", "/sys/kernel", "list"], capture_output=True, text=True, timeout=30)
    assert listed.returncode == 0 and listed.stderr == "" and listed.stdout.startswith("No open polls")
    created = subprocess.run(
        [votr_exe(), "--home", "/sys/kernel", "create", "Q", "-o", "a", "-o", "b"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert created.returncode == 1
    assert created.stderr == "Error: cannot create '/sys/kernel/votr.db': permission denied\n"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small filesystem needs root and mount(8)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"this machine cannot mount a tmpfs: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_called_full(small_disk: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = small_disk / "home"
    monkeypatch.setenv("VOTR_HOME", str(home))
    pid = make_poll("A" * 90, "B" * 90, title="Q" * 190)
    with open(small_disk / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass
    errors = []
    for i in range(200):  # until the WAL must grow past the space there is
        result = run("vote", str(pid), "1", "--voter", f"voter-{i:03d}-" + "x" * 40)
        if result.exit_code != 0:
            errors.append(one_error(result))
            break
    assert errors, "the disk never filled"
    assert "is full" in errors[0] and "not a votr database" not in errors[0]
    # Every ballot acknowledged before the disk filled is there, and the refused one is not.
    assert ok_json_total(pid) == i


def ok_json_total(pid: int) -> int:
    import json

    return json.loads(ok("show", str(pid), "--json").stdout)["total_votes"]


def test_a_group_folder_without_setgid_is_called_a_permission_problem(accounts: Accounts) -> None:
    home = accounts.shared_home(setgid=False)
    made = accounts.run("votr-alice", home, "create", "Q", "-o", "a", "-o", "b")
    assert made.returncode == 0, made.stderr
    voted = accounts.run("votr-bob", home, "vote", "1", "a")
    assert voted.returncode == 1
    assert voted.stderr.startswith(f"Error: no permission to write '{home / 'votr.db'}' (owner votr-alice")
    assert "setgid" in voted.stderr and len(voted.stderr.splitlines()) == 1


def test_a_setgid_group_folder_is_shared(accounts: Accounts) -> None:
    home = accounts.shared_home(setgid=True)
    assert accounts.run("votr-alice", home, "create", "Q", "-o", "a", "-o", "b").returncode == 0
    voted = accounts.run("votr-bob", home, "vote", "1", "a")
    assert voted.returncode == 0, voted.stderr
