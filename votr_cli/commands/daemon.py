from __future__ import annotations

from pathlib import Path

import click

from ._common import Seconds, home_dir


@click.command()
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32), help="Worker threads.")
@click.option(
    "--on-close",
    metavar="COMMAND",
    help="Run COMMAND when a poll closes: the poll's JSON on stdin; VOTR_POLL_ID, VOTR_POLL_TITLE and "
    "VOTR_WINNERS (a JSON array) in its environment. Split like a shell would, never run by one.",
)
@click.option(
    "--on-remind",
    metavar="COMMAND",
    help="Run COMMAND at each reminder a poll asks for (create --remind-before): the poll's JSON plus "
    '"not_voted" on stdin; VOTR_POLL_ID and VOTR_NOT_VOTED (a JSON array, or null without a roll) in its '
    "environment. Split like a shell would, never run by one.",
)
@click.option(
    "--hook-timeout",
    default=30.0,
    show_default=True,
    type=Seconds(0.1, 3600),
    metavar="SECONDS",
    help="How long an on-close or on-remind command may run before it is killed (and tried again).",
)
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), help="Also log to this file.")
@click.option("--verbose", is_flag=True, help="Log Huey's own messages too.")
@click.option("--print-systemd-unit", is_flag=True, help="Print a systemd user unit that runs this daemon, and exit.")
def daemon(
    workers: int,
    on_close: str | None,
    on_remind: str | None,
    hook_timeout: float,
    log_file: Path | None,
    verbose: bool,
    print_systemd_unit: bool,
) -> None:
    """Run the daemon in the foreground: it finalises every poll at its deadline.

    One daemon per home. On start it finalises polls that closed while it was
    down and re-queues any missing closes. SIGTERM or Ctrl-C stops it cleanly.

    \b
    Example:
      votr daemon --on-close 'notify-send "poll closed"'
      votr daemon --on-remind ./nudge-voters.sh
      votr daemon --print-systemd-unit > ~/.config/systemd/user/votr.service
    """
    for option, command in (("--on-close", on_close), ("--on-remind", on_remind)):
        if command is not None:
            _check_command(option, command)
    if print_systemd_unit:
        from ..daemon.unit import systemd_unit

        unit = systemd_unit(Path(home_dir()), workers, on_close, hook_timeout, log_file, verbose, on_remind)
        click.echo(unit, nl=False)
        return
    from ..daemon.runner import run_daemon

    run_daemon(Path(home_dir()), workers, on_close, log_file, verbose, hook_timeout, on_remind)


def _check_command(option: str, command: str) -> None:
    """Refused now, not noticed at the first close hours later."""
    import shlex

    from ..daemon.tasks import check_command
    from ..errors import UsageError

    try:
        if not shlex.split(command):
            raise UsageError(f"{option} needs a command")
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None
    problem = check_command(command)
    if problem:
        raise UsageError(f"{option}: {problem}")
