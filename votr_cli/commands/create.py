from __future__ import annotations

import click

from ..errors import UsageError
from ._common import armed_reminders, completer, json_option, login_name, now, open_store, print_json, request_close


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
    help="How long voting stays open: 90s, 45m, 2h, 1h30m, 1d, 2w, '2 hours', 1.5h or 'in 2 hours'; "
    "1s to a year [default: 24h].",
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
    shell_complete=completer("complete_method"),
    default="single",
    show_default=True,
    metavar="METHOD",
    help="How ballots count: single (one choice, most votes win), approval (approve any number, most approvals "
    "win), ranked (rank options; instant runoff, with the Condorcet winner and Schulze ranking beside it) or "
    "score (rate each 0 to --max-score; highest total, with the STAR winner beside it).",
)
@click.option("--max-choices", type=int, metavar="N", help="Approval: how many options a ballot may approve.")
@click.option("--max-score", type=int, metavar="N", help="Score: the highest rating, 1 to 100 [default: 5].")
@click.option("--voters", metavar="NAME,...", help="A voter roll: only these may vote (comma-separated, 2 or more).")
@click.option(
    "--voters-file",
    metavar="FILE",
    help="The voter roll from FILE: one name a line, # starts a comment, blank lines skipped; - reads stdin.",
)
@click.option("--quorum", metavar="N|N%", help="Ballots needed for a result: a number, or a share of the roll (60%).")
@click.option("--hide-results", is_flag=True, help="Show only the ballot count and turnout until the poll closes.")
@click.option(
    "--anonymous", is_flag=True, help="Keep no link between a ballot and its voter (erased from the file at close)."
)
@click.option("--no-revote", is_flag=True, help="One ballot per voter: no second ballot, no unvote.")
@click.option(
    "--close-when-all-voted", is_flag=True, help="With a roll: close the poll as soon as everyone on it has voted."
)
@click.option(
    "--remind-before",
    "remind_before",
    metavar="DURATION",
    multiple=True,
    help="Have the daemon run its --on-remind command this long before the deadline (repeatable): 1h, 10m.",
)
@json_option
def create(
    title: str,
    options: tuple[str, ...],
    closes_in: str | None,
    closes_at: str | None,
    method: str,
    max_choices: int | None,
    max_score: int | None,
    voters: str | None,
    voters_file: str | None,
    quorum: str | None,
    hide_results: bool,
    anonymous: bool,
    no_revote: bool,
    close_when_all_voted: bool,
    remind_before: tuple[str, ...],
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

    Who votes and what they see:

    \b
      votr create "Board seat" -o Ana -o Bo --voters-file members.txt --quorum 50% --anonymous
      votr create "Go?" -o Yes -o No --voters ana,bo,cy --close-when-all-voted --remind-before 1h
      votr create "Pick a name" -o Kiwi -o Fig --hide-results --no-revote
    """
    from .. import newpoll, polls, timeparse, voting

    if closes_in is not None and closes_at is not None:
        raise UsageError("--closes-in and --closes-at exclude each other; give one")
    if voters is not None and voters_file is not None:
        raise UsageError("--voters and --voters-file exclude each other; give one")
    started = now()
    if closes_at is not None:
        deadline = timeparse.deadline_from_when(closes_at, started)
    elif closes_in is not None:
        deadline = timeparse.deadline_from_duration(closes_in, started)
    else:
        deadline = started + polls.DEFAULT_OPEN_FOR
    # A refused poll must not leave a new home behind: check everything first.
    rules = newpoll.check_new_poll(title, options, newpoll.Rules(method, max_choices, max_score))
    roll = None
    if voters is not None:
        roll = voting.check_roll(voting.split_roll(voters))
    elif voters_file is not None:
        roll = voting.check_roll(voting.read_roll_file(voters_file))
    spans = [timeparse.parse_span(d) for d in remind_before]
    rules_of_voting = voting.check_voting(
        roll, quorum, hide_results, anonymous, no_revote, close_when_all_voted, spans, deadline - started
    )
    if rules.method == "ranked" and len(options) < 3:
        click.echo(f"warning: a ranked poll with {len(options)} options counts as a single-choice one would", err=True)
    conn = open_store(create=True)
    poll = newpoll.create_poll(
        conn,
        title,
        options,
        deadline,
        now,
        login_name(),
        created_at=started,
        rules=rules,
        voting=rules_of_voting,
        roll=roll,
    )
    request_close(poll.id, poll.closes_at, to_remind=armed_reminders(conn, poll))
    if json_:
        print_json(poll.to_json(now()))
        return
    from ..text import safe
    from ..timefmt import remaining_phrase

    phrase = remaining_phrase(poll.closes_at, now())
    click.echo(f"Created poll {poll.id}: {safe(poll.title)} with {len(poll.options)} options; {phrase}")
    said = poll.voting.words()
    if said:
        click.echo(f"Rules: {'; '.join(said)}")
    click.echo(f"Vote with: votr vote {poll.id} CHOICE")
