"""Text from users on its way in (identity, refusals) and out (to a terminal, a log, JSON).

DESIGN.md invariants 6 and 10. ASCII text, nearly all of it, takes a regex
path; `unicodedata` (0.3 ms) is loaded only for text that needs it.
"""

from __future__ import annotations

import re

from .errors import VotrError

# C0 controls and DEL: the only unsafe characters ASCII has.
_ASCII_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
# Controls (C0, C1: U+009B is a one-byte CSI), format characters (bidi
# overrides, zero-width spaces, tags), line/paragraph separators, lone surrogates.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def is_unsafe(char: str) -> bool:
    """A character that must never reach a terminal raw (invariant 6)."""
    if char.isascii():
        return bool(_ASCII_UNSAFE.match(char))
    import unicodedata

    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def escape_char(char: str) -> str:
    code = ord(char)
    if char in "\t\n\r":
        return repr(char)[1:-1]
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def safe(text: str, keep_newlines: bool = False) -> str:
    """`text` with every unsafe character shown as a visible escape (`\\x1b`, `\\u202e`)."""
    if text.isascii():
        if keep_newlines:
            return _ASCII_UNSAFE.sub(lambda m: m.group() if m.group() == "\n" else escape_char(m.group()), text)
        return _ASCII_UNSAFE.sub(lambda m: escape_char(m.group()), text)
    return "".join(escape_char(c) if is_unsafe(c) and not (keep_newlines and c == "\n") else c for c in text)


def json_text(doc: str) -> str:
    """A JSON document (as `json.dumps(..., ensure_ascii=False)` writes it) with unsafe characters as `\\uXXXX`.

    JSON's own syntax is ASCII, so every non-ASCII unsafe character sits in a
    string, where `\\uXXXX` (a surrogate pair above U+FFFF) means the same text.
    """
    if doc.isascii():
        return doc  # json.dumps already escaped C0 controls
    out = []
    for c in doc:
        if not c.isascii() and is_unsafe(c):
            code = ord(c)
            if code > 0xFFFF:
                code -= 0x10000
                out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
            else:
                out.append(f"\\u{code:04x}")
        else:
            out.append(c)
    return "".join(out)


def require_utf8(text: str, what: str) -> str:
    """Refuse bytes that are not UTF-8 (Python carries them as lone surrogates), before SQLite sees them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            shown = text.encode("utf-8", "surrogateescape").decode("ascii", "backslashreplace")
        except UnicodeEncodeError:  # a lone surrogate that no byte became (JSON's "\ud800")
            shown = text.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
        raise VotrError(f"{what} '{shown}' is not valid UTF-8 text") from None
    return text


def clean_name(text: str, what: str, allow_newlines: bool = False) -> str:
    """`text` as stored: UTF-8, NFC, trimmed; refused if it holds a control or invisible character.

    NFC makes `é` typed as one code point or as `e` + accent the same stored
    text. Refusing (rather than stripping) a zero-width space or a bidi
    override means no name can look like another while being different.
    """
    text = require_utf8(text, what).strip()
    if not text.isascii():
        import unicodedata

        text = unicodedata.normalize("NFC", text)
    for i, c in enumerate(text):
        if is_unsafe(c) and not (allow_newlines and c == "\n"):
            shown = safe(text[max(0, i - 10) : i + 10])
            raise VotrError(
                f"{what} holds the invisible or control character U+{ord(c):04X} (in '{shown}'); type it without"
            )
    return text


def identity(name: str) -> str:
    """The key two names must share to be one voter or one option: NFKC, then case-folded.

    NFKC (which implies NFC) also makes fullwidth `ＡＮＡ` and `ana` one name,
    so a lookalike cannot slip in a second ballot.
    """
    if name.isascii():
        return name.casefold()
    import unicodedata

    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
