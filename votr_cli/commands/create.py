from __future__ import annotations

import click

from ..errors import UsageError
from ._common import json_option, login_name, now, open_store, print_json, request_close


@click.command()
@click.argument("title")
@click.option(
    "-o",
    "--option",
    "options",
    multiple=True,
    required=True,
    metavar="OPTION",
    help="An answer to choose; repeat for each (2 to 26).",
)
@click.option(
    "--closes-in",
    metavar="DURATION",
    help="How long voting stays open: 90s, 45m, 2h, 1h30m, 1d, 2w, '2 hours', 1.5h; 1s to a year [default: 24h].",
)
@click.option(
    "--closes-at",
    metavar="WHEN",
    help=(
        "When voting ends, in local time unless a zone is given: 18:00, 6pm, noon, midnight, 'tomorrow 9am', "
        "'friday 17:00', 'next friday 17:00', 'Nov 25 6pm', '25 Nov 18:00', '2026-11-25 18:00', ISO 8601, "
        "'in 2 hours'; a zone as +01:00, Z, UTC, Europe/Paris or the local zone's abbreviation (CET)."
    ),
)
@click.option(
    "--method",
    default="single",
    show_default=True,
    metavar="METHOD",
    help="How ballots count: single (one choice, most votes win), approval (approve any number, most approvals "
    "win), ranked (rank options; instant runoff, with the Condorcet winner and Schulze ranking beside it) or "
    "score (rate each 0 to --max-score; highest total, with the STAR winner beside it).",
)
@click.option("--max-choices", type=int, metavar="N", help="Approval: how many options a ballot may approve.")
@click.option("--max-score", type=int, metavar="N", help="Score: the highest rating, 1 to 100 [default: 5].")
@json_option
def create(
    title: str,
    options: tuple[str, ...],
    closes_in: str | None,
    closes_at: str | None,
    method: str,
    max_choices: int | None,
    max_score: int | None,
    json_: bool,
) -> None:
    """Create a poll and schedule its close.

    \b
    Example:
      votr create "Lunch?" -o Pizza -o Sushi --closes-in 2h
      votr create "Retro topic" -o Tests -o Docs -o CI --closes-at 17:30
      votr create "Ship it?" -o Yes -o No --closes-at 'friday 17:00 Europe/Paris'

    A time alone is its next occurrence; a weekday its next one (today only
    if the time is still ahead); a month and day without a year the one
    nearest to now. Times that a clock change skips or repeats are refused
    unless an offset says which.

    Ranked polls count by instant runoff: each round, the option with the
    fewest votes is eliminated and its ballots go to their next choice, until
    one option holds more than half of the ballots still counting. A tie for
    fewest is broken by the earlier rounds' counts, latest first; options
    still tied are eliminated together (or, if that would leave none, share
    the win).

    \b
      votr create "Offsite?" -o Mon -o Tue -o Wed --method ranked
      votr create "Rate the talks" -o A -o B -o C --method score --max-score 10
    """
    from .. import polls, timeparse

    if closes_in is not None and closes_at is not None:
        raise UsageError("--closes-in and --closes-at exclude each other; give one")
    started = now()
    if closes_at is not None:
        deadline = timeparse.deadline_from_when(closes_at, started)
    elif closes_in is not None:
        deadline = timeparse.deadline_from_duration(closes_in, started)
    else:
        deadline = started + polls.DEFAULT_OPEN_FOR
    # A refused poll must not leave a new home behind: check everything first.
    rules = polls.check_new_poll(title, options, polls.Rules(method, max_choices, max_score))
    if rules.method == "ranked" and len(options) < 3:
        click.echo(f"warning: a ranked poll with {len(options)} options counts as a single-choice one would", err=True)
    conn = open_store(create=True)
    poll = polls.create_poll(conn, title, options, deadline, now, login_name(), created_at=started, rules=rules)
    request_close(poll.id, poll.closes_at)
    if json_:
        print_json(poll.to_json(now()))
        return
    from ..text import safe
    from ..timefmt import remaining_phrase

    phrase = remaining_phrase(poll.closes_at, now())
    click.echo(f"Created poll {poll.id}: {safe(poll.title)} with {len(poll.options)} options; {phrase}")
    click.echo(f"Vote with: votr vote {poll.id} CHOICE")
