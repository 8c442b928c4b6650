"""`votr export` and `votr import`: ballots out and back in, for every method, all or nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from votr_cli.accounts import current

from .conftest import ok, ok_json, run, store_digest
from .test_bad_input import refused

ME = current()
TITLE = 'Lunch, "today"?\nThink it over'  # a comma, quotes and a line break
OPTIONS = ["Pizza, large", 'Sushi "fresh"', "Tacos"]
BALLOTS = {
    "single": [("Smith, Ann", ["1"]), ('O"Neil', ['Sushi "fresh"']), ("bo", ["tacos"])],
    "approval": [("Smith, Ann", ["1", "3"]), ('O"Neil', ["2"]), ("bo", ["1", "2", "3"])],
    "ranked": [("Smith, Ann", ["3", "1"]), ('O"Neil', ["2", "3", "1"]), ("bo", ["1"])],
    "score": [("Smith, Ann", ["1=5", "3=2"]), ('O"Neil', ["2=4"]), ("bo", ["1=1", "2=1", "3=1"])],
}


def make(method: str, *extra: str, title: str = TITLE) -> int:
    opts = [a for o in OPTIONS for a in ("-o", o)]
    return ok_json("create", title, *opts, "--method", method, *extra)["id"]


def result(pid: int) -> dict:
    doc = ok_json("show", str(pid))
    return {k: v for k, v in doc.items() if k not in ("id", "title", "created_at", "closes_at", "status")}


@pytest.mark.parametrize("method", sorted(BALLOTS))
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_then_import_gives_the_same_ballots_and_result(
    home: Path, tmp_path: Path, method: str, fmt: str
) -> None:
    source = make(method)
    for voter, choices in BALLOTS[method]:
        ok("vote", str(source), *choices, "--voter", voter)
    path = tmp_path / f"ballots.{fmt}"
    ok("export", str(source), "--format", fmt, "-o", str(path))
    copy = make(method, title="Copy")
    said = ok("import", str(copy), str(path)).stdout
    assert said.startswith(f"Imported 3 ballots into poll {copy}: Copy; ")
    assert result(copy) | {"created_by": None} == result(source) | {"created_by": None}
    out = ok("export", str(copy), "--format", fmt).stdout
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(out, newline="")))
        assert rows[0][:3] == ["voter", "cast_at", "choice_1"]
        assert sorted(r[0] for r in rows[1:]) == sorted(v for v, _ in BALLOTS[method])
        assert rows == list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))  # cast_at kept
    else:
        doc = json.loads(out)
        assert doc["title"] == "Copy" and len(doc["ballots"]) == 3
        assert json.loads(path.read_text())["title"] == TITLE  # the title survives in JSON
        assert [b["choices"] for b in doc["ballots"]] == [b["choices"] for b in json.loads(path.read_text())["ballots"]]


def test_the_csv_is_rfc_4180_with_a_header_and_one_row_per_ballot(home: Path) -> None:
    pid = make("ranked")
    ok("vote", str(pid), "3", "1", "--voter", "Smith, Ann")
    out = ok("export", str(pid)).stdout_bytes.decode()
    lines = out.split("\r\n")
    assert lines[0] == "voter,cast_at,choice_1,choice_2,choice_3"
    assert lines[1].startswith('"Smith, Ann",20') and lines[1].endswith(',Tacos,"Pizza, large",')
    assert lines[2] == ""


def test_an_anonymous_poll_exports_no_voter_and_no_time(home: Path) -> None:
    pid = make("single", "--anonymous")
    ok("vote", str(pid), "1", "--voter", "ana")
    ok("vote", str(pid), "2", "--voter", "bo")
    rows = list(csv.reader(io.StringIO(ok("export", str(pid)).stdout, newline="")))
    assert sorted(rows[1:]) == [["", "", "Pizza, large"], ["", "", 'Sushi "fresh"']]
    doc = json.loads(ok("export", str(pid), "--format", "json").stdout)
    assert all(b["voter"] is None and b["cast_at"] is None for b in doc["ballots"])


def test_a_hidden_poll_exports_only_its_count_until_it_closes(home: Path) -> None:
    pid = make("single", "--hide-results")
    ok("vote", str(pid), "1", "--voter", "ana")
    refused(home, ["export", str(pid)], f"poll {pid} hides its results until it closes")
    doc = json.loads(ok("export", str(pid), "--format", "json").stdout)
    assert doc["ballots"] is None and doc["total_votes"] == 1 and doc["leaders"] is None
    everything = json.loads(ok("export", "--all").stdout)
    assert everything["polls"][0]["ballots"] is None
    assert 'Pizza, large"' not in ok("export", "--all").stdout.replace('"name": "Pizza, large"', "")
    ok("close", str(pid))
    assert json.loads(ok("export", str(pid), "--format", "json").stdout)["ballots"][0]["voter"] == "ana"


def test_export_all_is_one_json_document_of_every_poll(home: Path) -> None:
    first, second = make("single"), make("score", title="Second")
    ok("vote", str(second), "1=3", "--voter", "ana")
    doc = json.loads(ok("export", "--all").stdout)
    assert [p["id"] for p in doc["polls"]] == [first, second]
    assert doc["polls"][1]["ballots"][0]["choices"] == ["Pizza, large=3"]
    assert run("export", "--all", "--format", "csv").exit_code == 2
    assert run("export").exit_code == 2 and run("export", "1", "--all").exit_code == 2


def test_rows_without_a_voter_become_numbered_ballots(home: Path, tmp_path: Path) -> None:
    pid = make("single")
    paper = tmp_path / "paper.csv"
    paper.write_text("voter,cast_at,choice_1\n,,1\n,,tacos\n\nana,,2\n")
    ok("import", str(pid), str(paper))
    more = tmp_path / "more.csv"
    more.write_text("voter,cast_at,choice_1\n,,3\n")
    ok("import", str(pid), str(more))  # numbering goes on from the highest
    voters = sorted(v["voter"] for v in ok_json("voters", str(pid))["voted"])
    assert voters == ["ana", "ballot-1", "ballot-2", "ballot-3"]
    assert [o["votes"] for o in ok_json("show", str(pid))["options"]] == [1, 1, 2]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("voter,cast_at,choice_1\nana,,1\nbo,,7\n", "row 3: poll 1 has no option 7: choose 1 to 3"),
        ("voter,cast_at,choice_1\nana,,1\nANA,,2\n", "row 3: ANA has a ballot in this file already (row 2)"),
        ("voter,cast_at,choice_1\nana,yesterday,1\n", "row 2: cast_at 'yesterday' is not an ISO 8601 time"),
        (
            "voter,cast_at,choice_1\nana,2999-01-01T00:00:00Z,1\n",
            "row 2: cast_at '2999-01-01T00:00:00Z' is in the future",
        ),
        ("voter,cast_at,choice_1\nana,,1,2\n", "row 2: 4 cells, but the header names 3"),
        ("voter,cast_at,choice_1\nana,,\n", "row 2: give at least one choice"),
        ("voter,cast_at,choice_1\na\u200bna,,1\n", "row 2: the voter name holds the invisible or control character"),
        ("name,choice\nana,1\n", "row 1 is not the header `voter,cast_at,choice_1,...`"),
        ("voter,cast_at,choice_1\n", "the file holds no ballots"),
        ("", "the file is empty"),
        ('voter,cast_at,choice_1\n"ana,,1\n', "not valid CSV"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_stored(home: Path, tmp_path: Path, body: str, message: str) -> None:
    pid = make("single")
    ok("vote", str(pid), "1", "--voter", "zed")
    path = tmp_path / "in.csv"
    path.write_text(body, encoding="utf-8")
    refused(home, ["import", str(pid), str(path)], message)


def test_import_is_all_or_nothing_even_on_the_last_of_10000_rows(home: Path, tmp_path: Path) -> None:
    pid = make("ranked")
    rows = ["voter,cast_at,choice_1,choice_2,choice_3"] + [f"v{i},,1,2,3" for i in range(9999)] + ["v9999,,1,1,2"]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(rows) + "\n")
    before = store_digest(home)
    result = run("import", str(pid), str(path))
    assert result.exit_code == 1
    assert result.stderr == "Error: row 10001: option 1 (Pizza, large) is chosen twice: as '1' and '1'\n"
    assert store_digest(home) == before
    path.write_text("\n".join(rows[:-1]) + "\n")
    ok("import", str(pid), str(path))
    assert ok_json("show", str(pid))["total_votes"] == 9999


def test_import_follows_the_polls_rules(home: Path, tmp_path: Path) -> None:
    rolled = make("single", "--voters", "ana,bo")
    path = tmp_path / "in.csv"
    path.write_text("voter,cast_at,choice_1\nana,,1\neve,,2\n")
    refused(home, ["import", str(rolled), str(path)], f"row 3: eve is not on the voter roll of poll {rolled}")
    path.write_text("voter,cast_at,choice_1\nANA,,1\n")
    ok("vote", str(rolled), "2", "--voter", "bo")
    ok("import", str(rolled), str(path))
    assert sorted(v["voter"] for v in ok_json("voters", str(rolled))["voted"]) == ["ana", "bo"]  # the roll's spelling
    refused(home, ["import", str(rolled), str(path)], f"row 2: ana has a ballot in poll {rolled} already")
    closing = make("single", "--voters", "ana,bo", "--close-when-all-voted")
    path.write_text("voter,cast_at,choice_1\nana,,1\nbo,,1\n")
    assert ok_json("import", str(closing), str(path), "--json")["closed_poll"] is True
    assert ok_json("show", str(closing))["status"] == "closed"
    refused(home, ["import", str(closing), str(path)], "it takes no more votes")
    secret = make("single", "--anonymous")
    path.write_text("voter,cast_at,choice_1\nana,2026-01-01T00:00:00Z,1\n")
    ok("import", str(secret), str(path))
    rows = list(csv.reader(io.StringIO(ok("export", str(secret)).stdout, newline="")))
    assert rows[1] == ["", "", "Pizza, large"]
    assert [v["voter"] for v in ok_json("voters", str(secret))["voted"]] == ["ana"]


def test_only_the_creator_imports(accounts, tmp_path: Path) -> None:  # noqa: ANN001 - the fixture
    home = accounts.shared_home()
    made = accounts.run("votr-alice", home, "create", "Q", "-o", "a", "-o", "b", "--json")
    assert made.returncode == 0, made.stderr
    path = Path(home.parent) / "in.csv"
    path.write_text("voter,cast_at,choice_1\nvotr-bob,,1\n")
    path.chmod(0o644)
    denied = accounts.run("votr-bob", home, "import", "1", str(path))
    assert denied.returncode == 1
    assert denied.stderr == "Error: only poll 1's creator (votr-alice) may import ballots; you are votr-bob\n"
    assert accounts.run("votr-alice", home, "import", "1", str(path)).returncode == 0


def test_json_import_reads_the_export_or_a_bare_list(home: Path, tmp_path: Path) -> None:
    pid = make("approval")
    path = tmp_path / "in.json"
    path.write_text(json.dumps([{"voter": "ana", "choices": ["1", "Tacos"]}, {"choices": ["2"]}]))
    ok("import", str(pid), str(path))
    assert [o["votes"] for o in ok_json("show", str(pid))["options"]] == [1, 1, 1]
    path.write_text('{"ballots": [{"voter": 3, "choices": []}]}')
    refused(
        home, ["import", str(pid), str(path)], "ballot 1: voter and cast_at must be text or null, and each choice text"
    )
    path.write_text("{nope")
    refused(home, ["import", str(pid), str(path)], "not valid JSON")
    refused(home, ["import", str(pid), str(tmp_path / "missing.csv")], "cannot read")


def test_export_o_writes_a_file_whole_keeps_its_mode_and_never_replaces_a_device(home: Path, tmp_path: Path) -> None:
    import os
    import stat

    pid = make("single")
    ok("vote", str(pid), "1", "--voter", "ana")
    ok("export", str(pid), "-o", "/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # written into, not renamed over
    kept = tmp_path / "kept.csv"
    kept.write_text("old\n")
    kept.chmod(0o664)
    link = tmp_path / "link.csv"
    link.symlink_to(kept)
    ok("export", str(pid), "-o", str(link))
    assert link.is_symlink() and kept.read_text().startswith("voter,cast_at,choice_1")
    assert stat.S_IMODE(kept.stat().st_mode) == 0o664
    folder = tmp_path / "folder"
    folder.mkdir()
    refused(home, ["export", str(pid), "-o", str(folder)], f"cannot write {str(folder)!r}: it is a folder")
    missing = tmp_path / "nope" / "x.csv"
    refused(home, ["export", str(pid), "-o", str(missing)], "the folder")
    refused(home, ["export", str(pid), "-o", str(home / "votr.db")], "is votr's own votr.db: export somewhere else")
    refused(home, ["export", str(pid), "-o", ""], "-o needs a file name")
    assert not [p for p in tmp_path.rglob(".votr-export-*")]  # no half-written file left anywhere
    assert ok_json("show", str(pid))["total_votes"] == 1  # and the store is whole


def test_export_to_stdout_is_utf_8_whatever_the_locale(home: Path, tmp_path: Path) -> None:
    import subprocess

    from .conftest import subprocess_env, votr_exe

    pid = ok_json("create", "Zoë?", "-o", "Zoë ✓", "-o", "No")["id"]
    ok("vote", str(pid), "1", "--voter", "zoë")
    env = subprocess_env(home, PYTHONIOENCODING="latin-1")
    out = subprocess.run([votr_exe(), "export", str(pid)], env=env, capture_output=True, timeout=30).stdout
    assert "zoë," in out.decode("utf-8") and "Zoë ✓" in out.decode("utf-8")
    (tmp_path / "back.csv").write_bytes(out)
    copy = ok_json("create", "Copy", "-o", "Zoë ✓", "-o", "No")["id"]
    ok("import", str(copy), str(tmp_path / "back.csv"))
    assert ok_json("show", str(copy))["leaders"] == ["Zoë ✓"]


def test_a_score_ballot_of_all_zeros_survives_the_round_trip(home: Path, tmp_path: Path) -> None:
    pid = make("score")
    ok("vote", str(pid), "1=0", "--voter", "zero")
    ok("vote", str(pid), "2=3", "--voter", "three")
    path = tmp_path / "s.csv"
    ok("export", str(pid), "-o", str(path))
    copy = make("score", title="Copy")
    ok("import", str(copy), str(path))
    assert ok_json("show", str(copy))["total_votes"] == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[{"voter": "\\ud800", "choices": ["1"]}]', "is not valid UTF-8 text"),
        ('[{"voter": "ana", "choices": ["\\ud800"]}]', "is not valid UTF-8 text"),
        ("[" * 100_000 + "]" * 100_000, "nested too deep"),
        ('[{"voter": 0, "choices": ["1"]}]', "voter and cast_at must be text or null"),
        ('[{"voter": "a", "cast_at": "0001-01-01T00:00:00+01:00", "choices": ["1"]}]', "is not an ISO 8601 time"),
        ('[{"voter": "a", "cast_at": "9999-12-31T23:59:59-14:00", "choices": ["1"]}]', "is not an ISO 8601 time"),
    ],
)
def test_odd_json_is_one_error_line(home: Path, tmp_path: Path, body: str, message: str) -> None:
    pid = make("single")
    path = tmp_path / "in.json"
    path.write_text(body)
    refused(home, ["import", str(pid), str(path)], message)


def test_csv_quirks_import_as_a_spreadsheet_would_write_them(home: Path, tmp_path: Path) -> None:
    pid = make("ranked")
    path = tmp_path / "in.csv"
    # A BOM, CRLF line ends, a quoted line break in a name, empty cells past the header, a named ballot-1.
    path.write_bytes('\ufeffvoter,cast_at,choice_1,choice_2\r\n"Ann\nSmith",,1,\r\nballot-1,,2,1,,\r\n,,3\r\n'.encode())
    refused(home, ["import", str(pid), str(path)], "holds the invisible or control character U+000A")
    path.write_bytes("\ufeffvoter,cast_at,choice_1,choice_2\r\nAnn,,1,\r\nballot-1,,2,1,,\r\n,,3\r\n".encode())
    ok("import", str(pid), str(path))
    assert sorted(v["voter"] for v in ok_json("voters", str(pid))["voted"]) == ["Ann", "ballot-1", "ballot-2"]
