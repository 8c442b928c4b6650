"""The one family of errors votr raises on purpose.

Every message is written for the person at the terminal: it names the bad
value and, where it helps, what would work instead. The CLI turns a
`VotrError` into `Error: <message>` and exit status 1 in one place.
"""


class VotrError(Exception):
    """A problem the user can act on; never a bug."""


class UsageError(VotrError):
    """Options that exclude each other or are missing (exit status 2)."""


class TimeParseError(VotrError):
    """A duration or a date that votr cannot read, or a deadline it refuses."""
