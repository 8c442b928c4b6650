"""Text from users on its way to a terminal (DESIGN.md invariant 6)."""

from __future__ import annotations

import re

from .errors import VotrError

# C0 and C1 controls and DEL: an escape sequence hidden in a title must not
# reach the terminal as one.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """`text` with control characters shown as visible escapes."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def require_utf8(text: str, what: str) -> str:
    """Refuse bytes that are not UTF-8 (Python carries them as lone surrogates), before SQLite sees them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        shown = text.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
        raise VotrError(f"{what} '{shown}' is not valid UTF-8 text") from None
    return text
