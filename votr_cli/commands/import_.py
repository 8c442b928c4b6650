from __future__ import annotations

import click

from ._common import json_option, login_name, now, open_store, poll_argument, print_json


@click.command("import")
@poll_argument
@click.argument("file", metavar="FILE")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["csv", "json"]),
    default=None,
    help="How FILE is written [default: json for a .json file, else csv].",
)
@json_option
def import_(poll: str, file: str, format_: str | None, json_: bool) -> None:
    """Import ballots from FILE (as `votr export` writes it) into POLL: all or none.

    For paper ballots or another tool's export; only the poll's creator may
    import, while the poll is open. A row without a voter becomes ballot-1,
    ballot-2, ...; a bad row is an error naming it (the header is row 1),
    and then nothing is stored. FILE - reads standard input.

    \b
    Example:
      votr import 3 paper-ballots.csv
      votr export 3 --format json | votr --home /tmp/copy import 1 - --format json
    """
    import sys

    from .. import polls, transfer
    from ..errors import VotrError

    poll_id = polls.parse_poll_id(poll)
    fmt = format_ or ("json" if file.lower().endswith(".json") else "csv")
    try:
        if file == "-":
            raw = sys.stdin.buffer.read(transfer.MAX_FILE + 1)
        else:
            with open(file, "rb") as f:
                raw = f.read(transfer.MAX_FILE + 1)
    except OSError as exc:
        raise VotrError(f"cannot read {file!r}: {exc.strerror or exc}") from None
    if len(raw) > transfer.MAX_FILE:
        raise VotrError(f"{file!r} is larger than {transfer.MAX_FILE // 2**20} MB: import it in parts")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise VotrError(f"{file!r} is not UTF-8 text (byte {exc.start + 1})") from None
    rows = transfer.read_json(text) if fmt == "json" else transfer.read_csv(text)
    conn = open_store()
    done, count, closed = transfer.import_ballots(conn, poll_id, rows, now, login_name())
    if closed:
        from ._common import request_close

        assert done.closed_at is not None
        request_close(done.id, done.closed_at, due=True)
    at = now()
    if json_:
        print_json({"imported": count, "closed_poll": closed, "poll": done.to_json(at)})
        return
    from ..outcome import plural
    from ..render import status_line
    from ..text import safe

    said = f"Imported {plural(count, 'ballot')} into poll {done.id}: {safe(done.title)}"
    click.echo(f"{said}; {status_line(done, at)}")
