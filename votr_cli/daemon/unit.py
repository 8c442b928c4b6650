"""`votr daemon --print-systemd-unit`: a unit file that runs this very daemon.

Everything in it comes from the command line and the home's path, which a
user chose: each word is quoted so that no newline, `%` specifier or `$`
variable in it can become a line or a value of its own (invariant 6).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..text import escape_char, is_unsafe, safe

_PLAIN = frozenset("-_./=:,+@")


def systemd_unit(
    home: Path,
    workers: int,
    on_close: str | None,
    hook_timeout: float,
    log_file: Path | None,
    verbose: bool,
    on_remind: str | None = None,
) -> str:
    """The unit text; it passes on every daemon option given, so the service runs as this command would."""
    args = [sys.executable, "-m", "votr_cli", "--home", str(home.resolve()), "daemon", "--workers", str(workers)]
    if on_close:
        args += ["--on-close", on_close]
    if on_remind:
        args += ["--on-remind", on_remind]
    args += ["--hook-timeout", f"{hook_timeout:g}"]
    if log_file is not None:
        args += ["--log-file", str(log_file.resolve())]
    if verbose:
        args.append("--verbose")
    description = safe(str(home)).replace("%", "%%")
    return f"""[Unit]
Description=votr daemon: closes polls at their deadlines ({description})

[Service]
ExecStart={" ".join(quote(a) for a in args)}
# votr stops gracefully on SIGTERM, finishing a running close.
KillSignal=SIGTERM
TimeoutStopSec=10
Restart=on-failure
RestartSec=2
UMask=0007

[Install]
WantedBy=default.target
"""


def quote(arg: str) -> str:
    """One ExecStart word, read back by systemd as exactly `arg`.

    systemd expands `%` specifiers and `$` variables, splits on blanks, and
    reads C escapes inside double quotes; a raw newline would end the line.
    """
    escaped = arg.replace("%", "%%").replace("$", "$$")
    if escaped and all(c.isascii() and (c.isalnum() or c in _PLAIN) for c in escaped):
        return escaped
    body = "".join(
        "\\\\" if c == "\\" else '\\"' if c == '"' else escape_char(c) if is_unsafe(c) else c for c in escaped
    )
    return f'"{body}"'
