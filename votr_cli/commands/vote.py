from __future__ import annotations

import click

from ._common import completer, json_option, login_name, open_store, poll_argument, print_json


@click.command()
@poll_argument
@click.argument("choices", metavar="CHOICE...", nargs=-1, required=True, shell_complete=completer("complete_choice"))
@click.option(
    "--voter",
    metavar="NAME",
    help="Vote under this name; only the poll's creator may name someone else [default: your account].",
)
@json_option
def vote(poll: str, choices: tuple[str, ...], voter: str | None, json_: bool) -> None:
    """Vote in POLL: CHOICE is an option's name or its number.

    How many CHOICEs depends on the poll's method: single takes one; approval
    one or more (the options you approve); ranked one or more, best first;
    score NAME=N or NUMBER=N pairs (unrated options score 0). Voting again
    while the poll is open replaces your whole ballot.

    \b
    Example:
      votr vote 3 pizza
      votr vote 4 tacos pizza sushi      # ranked: tacos first
      votr vote 5 pizza=5 sushi=2        # score
      votr vote 3 2 --voter alice        # the poll's creator, for alice
    """
    from .. import ballots, polls
    from ..text import safe
    from ..timefmt import remaining_phrase, utcnow

    poll_id = polls.parse_poll_id(poll)
    account = login_name()
    # The text says only what was chosen and when the poll closes: no need to count every ballot.
    outcome = ballots.vote(open_store(), poll_id, choices, voter, utcnow, account, count=json_)
    if outcome.closed:
        from ._common import request_close

        assert outcome.poll.closed_at is not None
        request_close(poll_id, outcome.poll.closed_at, due=True)
    chosen = outcome.choices()
    # '' when the poll keeps the replaced ballot from view (hidden results, anonymous).
    previous = outcome.choices(outcome.previous) if outcome.previous else None
    if json_:
        doc: dict = {"voter": outcome.voter, "account": account, "method": outcome.poll.method}
        if outcome.poll.method == "single":
            doc["choice"] = chosen[0]  # kept from before counting methods, for scripts that read it
        doc["choices"] = chosen
        doc["previous"] = previous
        doc["replaced"] = outcome.previous is not None
        doc["closed_poll"] = outcome.closed
        print_json(doc | {"poll": outcome.poll.to_json(utcnow())})
        return
    verb, joiner = {
        "single": ("voted", ", "),
        "approval": ("approved", ", "),
        "ranked": ("ranked", " > "),
        "score": ("scored", ", "),
    }[outcome.poll.method]
    said_now = joiner.join(safe(c) for c in chosen) or "every option 0"
    who, title = safe(outcome.voter), safe(outcome.poll.title)
    if outcome.previous is None:
        said = f"{who} {verb} {said_now} in poll {poll_id}: {title}"
    elif outcome.unchanged:
        said = f"{who} already {verb} {said_now} in poll {poll_id}: {title}; nothing changed"
    elif previous is None:
        said = f"{who} changed vote to {said_now} in poll {poll_id}: {title} (the ballot it replaced stays unseen)"
    else:
        before = joiner.join(safe(c) for c in previous) or "every option 0"
        said = f"{who} changed vote from {before} to {said_now} in poll {poll_id}: {title}"
    if outcome.closed:
        click.echo(f"{said}; everyone on the roll has voted, so the poll is closed")
        return
    click.echo(f"{said}; {remaining_phrase(outcome.poll.closes_at, utcnow())}")
