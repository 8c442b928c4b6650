from __future__ import annotations

import click

from ..errors import UsageError
from ._common import completer, home_dir, now, open_store, print_json_stream


@click.command()
@click.argument("poll", metavar="[POLL]", required=False, shell_complete=completer("complete_poll"))
@click.option("--all", "all_", is_flag=True, help="Every poll, as one JSON document.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["csv", "json"]),
    default=None,
    help="csv: a header, then one row per ballot (voter, cast_at, choice_1, ...); json: the poll as "
    "`show --json` with its ballots [default: csv, json with --all].",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE instead of standard output.")
def export(poll: str | None, all_: bool, format_: str | None, output: str | None) -> None:
    """Export POLL's ballots and result, or every poll's with --all.

    The CSV reads back with `votr import`: UTF-8, RFC 4180 quoting, so names
    with commas, quotes or line breaks survive. An anonymous poll's `voter`
    (and `cast_at`) are empty; a poll that hides its results exports only its
    count (JSON) until it closes.

    \b
    Example:
      votr export 3 -o lunch.csv
      votr export 3 --format json | jq '.ballots | length'
      votr export --all > everything.json
    """
    from .. import polls, transfer

    if all_ == (poll is not None):
        raise UsageError("give a POLL or --all")
    if all_ and format_ == "csv":
        raise UsageError("--all exports JSON (one document of every poll); CSV is one poll's ballots")
    format_ = format_ or ("json" if all_ else "csv")
    poll_id = polls.parse_poll_id(poll) if poll is not None else None
    from ..store import NoStore

    try:
        conn = open_store()
    except NoStore:
        if poll_id is not None:
            raise polls.PollNotFound(f"no poll {poll_id}: `votr list --all` shows the polls there are") from None
        conn = None
    at = now()
    target = polls.get_poll(conn, poll_id) if conn is not None and poll_id is not None else None
    if target is not None and format_ == "csv" and not target.results_visible(at):
        raise polls.PollClosed(
            f"poll {target.id} hides its results until it closes: there are no ballots to export yet, only "
            f"their count ({target.total_votes}; `votr export {target.id} --format json` gives it)"
        )

    def document(p: polls.Poll) -> dict:
        doc = p.to_json(at)
        doc["ballots"] = (
            [transfer.ballot_json(b) for b in transfer.ballots_of(conn, p)] if p.results_visible(at) else None
        )
        return doc

    from ..outfile import output as destination

    with destination(output, home_dir()) as out:
        if format_ == "csv":
            import csv

            assert target is not None and conn is not None
            header = transfer.csv_header(target)
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(header)
            for ballot in transfer.ballots_of(conn, target):
                writer.writerow(transfer.csv_row(ballot, len(header)))
        elif target is not None:
            import json

            from ..text import json_text

            out.write(json_text(json.dumps(document(target), indent=2, ensure_ascii=False)) + "\n")
        else:
            found = polls.iter_polls(conn, at, "all") if conn is not None else iter(())
            print_json_stream("polls", (document(p) for p in found), out=out)
