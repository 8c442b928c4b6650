"""The root command: global options, the command registry, one error exit."""

from __future__ import annotations

import importlib
import os
import re
import sqlite3
import sys
from typing import Any, NoReturn

import click

from . import __version__
from .errors import UsageError, VotrError
from .paths import resolve_home
from .text import safe

# name -> "module:attribute"; a command's module is imported only when it runs,
# so `votr vote` never pays for rich, huey or sqlite-utils.
COMMANDS = {
    "create": "votr_cli.commands.create:create",
    "vote": "votr_cli.commands.vote:vote",
    "unvote": "votr_cli.commands.unvote:unvote",
    "voters": "votr_cli.commands.voters:voters",
    "log": "votr_cli.commands.log:log",
    "watch": "votr_cli.commands.watch:watch",
    "wait": "votr_cli.commands.wait:wait",
    "export": "votr_cli.commands.export:export",
    "import": "votr_cli.commands.import_:import_",
    "list": "votr_cli.commands.list:list_",
    "show": "votr_cli.commands.show:show",
    "close": "votr_cli.commands.close:close",
    "extend": "votr_cli.commands.extend:extend",
    "delete": "votr_cli.commands.delete:delete",
    "daemon": "votr_cli.commands.daemon:daemon",
    "status": "votr_cli.commands.status:status",
    "demo": "votr_cli.commands.demo:demo",
}


# How `votr --help` groups the commands: by what they are for.
SECTIONS = (
    ("Polls", ("create", "list", "close", "extend", "delete")),
    ("Voting", ("vote", "unvote", "import")),
    ("Results", ("show", "voters", "watch", "wait", "export", "log")),
    ("The daemon", ("daemon", "status", "demo")),
)


def _set_home(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """`votr list --home X` means what `votr --home X list` does."""
    if value is None:
        return
    if not value.strip():
        raise click.UsageError("--home is empty: give a folder")
    root = ctx.find_root()
    root.meta["votr.home"] = resolve_home(value)  # for shell completion, which runs no root callback
    if isinstance(root.obj, Settings):
        root.obj.home = resolve_home(value)
        root.obj.home_given = True


HOME_AFTER = click.Option(
    ["--home"],
    type=click.Path(file_okay=True, dir_okay=True),
    expose_value=False,
    is_eager=True,
    callback=_set_home,
    help="Folder holding votr.db and queue.db (as `votr --home DIR`).",
)


class Settings:
    """What the root command passes down: where the files live."""

    def __init__(self, home: str, home_given: bool = False) -> None:
        self.home = home
        self.home_given = home_given  # by --home, not by VOTR_HOME or the default


class VotrGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        # No try/except: an ImportError here is a bug and must show as one,
        # not as "No such command".
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        if HOME_AFTER not in command.params:
            command.params.append(HOME_AFTER)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        for title, names in SECTIONS:
            rows = []
            for name in names:
                command = self.get_command(ctx, name) if name in COMMANDS else None
                if command is not None:
                    rows.append((name, command.get_short_help_str(limit)))
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Click's standalone mode, but every error is one line on stderr."""
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.NoSuchOption as exc:
            if re.fullmatch(r"-\d+", exc.option_name):
                # `votr show -1`: a number, not an option the user forgot.
                click.echo(f"Error: {exc.option_name!r} is not a poll or option number: they start at 1", err=True)
                sys.exit(1)
            _usage_error(exc)
        except click.UsageError as exc:
            _usage_error(exc)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # `votr list | head`: the reader left; say nothing more.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except UsageError as exc:
            raise click.UsageError(safe(str(exc))) from None
        except VotrError as exc:
            # Messages quote what the user typed or stored; escape it here, once.
            raise click.ClickException(safe(str(exc))) from None
        except sqlite3.Error as exc:
            from .paths import DB_NAME
            from .store import explain

            home = ctx.obj.home if isinstance(ctx.obj, Settings) else "."
            raise click.ClickException(safe(str(explain(exc, os.path.join(home, DB_NAME))))) from None
        except BrokenPipeError:
            raise  # `votr log --json | head`: the reader left; main() ends quietly
        except UnicodeDecodeError as exc:
            # SQLite reporting a damaged file can produce a message that is not UTF-8.
            raise click.ClickException(safe(f"the store is damaged: {exc.object!r}")) from None
        except OSError as exc:
            # Not a bug of ours but the system's answer (a file votr may not touch): one line, not a traceback.
            where = f" ({exc.filename})" if exc.filename else ""
            raise click.ClickException(safe(f"{exc.strerror or exc}{where}")) from None


def _usage_error(exc: click.UsageError) -> NoReturn:
    where = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
    click.echo(f"Error: {exc.format_message()}{where}", err=True)
    sys.exit(exc.exit_code)


@click.group(cls=VotrGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    envvar="VOTR_HOME",
    type=click.Path(file_okay=True, dir_okay=True),
    help="Folder holding votr.db and queue.db [env: VOTR_HOME; default: ~/.local/share/votr].",
)
@click.version_option(__version__, "--version", prog_name="votr")
@click.pass_context
def cli(ctx: click.Context, home: str | None) -> None:
    """Polls for the terminal, closed on time by a small local daemon.

    \b
    Example:
      votr create "Lunch?" -o Pizza -o Sushi --closes-in 2h
      votr vote 1 pizza
      votr show 1
    """
    if ctx.invoked_subcommand is None:
        # Bare `votr` is a request for help, not a mistake (even with an empty VOTR_HOME).
        click.echo(ctx.get_help())
        ctx.exit(0)
    if home is not None and not home.strip() or home is None and os.environ.get("VOTR_HOME") is not None:
        # An empty --home or VOTR_HOME (say, an unset variable in a script) must not mean the real home.
        given = "--home" if home is not None else "VOTR_HOME"
        raise click.UsageError(f"{given} is empty: give a folder")
    from click.core import ParameterSource

    ctx.obj = Settings(resolve_home(home), ctx.get_parameter_source("home") == ParameterSource.COMMANDLINE)


def main() -> None:
    for stream in (sys.stdout, sys.stderr):
        # A terminal or pipe that cannot show some character (latin-1, ascii) gets an escape, not a traceback.
        if (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8"):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="backslashreplace")
    cli(prog_name="votr")
