"""Text as reps paste it from elsewhere (web pages, chat apps, PDFs, email signatures), read as they mean it.

What comes along unseen would otherwise make a search fail, an address invalid or a tag a second one that reads
the same: direction marks (WhatsApp wraps a number in them, web pages put them around addresses), the soft
hyphen, non-breaking spaces, the digits of other scripts, quotes and words around an address.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible marks that mean nothing in an address, a number or a tag: the soft hyphen, zero-width space, the
# direction marks, embeddings, overrides and isolates, the word joiner and the byte order mark. Zero-width joiners
# are not among them: emoji and some scripts need them.
_MARKS = re.compile("[\u00ad\u061c\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
# What parts an address from what surrounds it in pasted text: brackets, line breaks, and a label's colon or a
# list's comma or semicolon with a space after it (or ending the text: "ana@example.com;" from a To: line). None of
# these can stand unquoted in an address. A space alone is not among them, nor a comma or colon between two words:
# "maria silva@example.com", "maria,silva@..." and "maria:silva@..." (Shift+. on a German keyboard) are mistyped
# addresses, and what follows the space, comma or colon is somebody else's.
_AROUND_ADDRESS = re.compile(r"[<>()\[\]{}\t\n]+|[,;:](?=\s|$)")
# A label glued to the address it names ("E-mail:ana@example.com", a vCard's "EMAIL;TYPE=work:ana@..."), and the
# full-width colon, which no address holds: each parts what follows it as a colon and a space would.
_LABEL = re.compile(r"(?i)(?:\bEMAIL(?:;[^:;@\s]*)+|\be-?mail|\bmail|\bcorreo|\bcourriel|\be-?post)\s*:|\uff1a")
# What a sentence puts after an address, and what a quotation puts around it: never part of a domain, and (as
# opening marks) never the start of an address.
_CLOSING = ".!?\"'”’»›"
_OPENING = "“‘«‹„"
_QUOTES = "\"'"


def without_marks(text: str) -> str:
    """``text`` without the invisible marks pasted text carries (see ``_MARKS``)."""
    return _MARKS.sub("", text)


def ascii_digits(text: str) -> str:
    """``text`` with the digits of every script (Arabic-Indic, full-width, Devanagari...) as ASCII digits.

    The API compares a phone's ASCII digits only, and reads dates and amounts in them."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.digit(ch)) if ch.isdecimal() and not ch.isascii() else ch for ch in text)


# The separators and signs numbers are written with in other scripts: the Arabic decimal and thousands separators
# (how an Arabic locale writes "12,500.00", and how Qt shows it there), and the full-width ones a Japanese or Chinese
# input method types; Adlam's comma; the minus sign.
_NUMBER_MARKS = str.maketrans(
    {
        "\u066b": ".",
        "\u066c": ",",
        "\uff0e": ".",
        "\uff0c": ",",
        "\u2e41": ",",
        "\uff0d": "-",
        "\u2212": "-",
        "\uff0f": "/",
    }
)


def ascii_number(text: str) -> str:
    """``text`` as :func:`ascii_digits` writes it, with other scripts' decimal points, digit-group separators,
    minus signs and date slashes as ASCII too, and without invisible marks: ``"١٢٬٥٠٠٫٠٠"`` is ``"12,500.00"``,
    ``"１９９０－１２－２５"`` is ``"1990-12-25"``."""
    if text.isascii():
        return text
    return ascii_digits(without_marks(text)).translate(_NUMBER_MARKS)


def email_in(text: str) -> str | None:
    """The one email address in pasted ``text``, or None when it holds none or several.

    Reads "Ana Lima <ana@example.com>", "mailto:ana@example.com?subject=Hi", "E-mail: ana@example.com", an
    address in quotes or at the end of a sentence, and one among the labelled lines of a signature. Only what
    surrounds the address is dropped, never a word beside it on the same line: an address that is malformed itself
    ("maria silva@example.com") comes back as it is, for its field to say why.
    """
    text = without_marks(text).strip()
    if text[:7].lower() == "mailto:":
        from urllib.parse import unquote

        # Several addresses may follow, comma-separated, and a query; each part percent-encoded.
        text = unquote(text[7:].split("?", 1)[0])
    found: dict[str, str] = {}
    for token in _AROUND_ADDRESS.split(_LABEL.sub("\n", text)):
        address = _unwrapped(token.strip())
        if address[:7].lower() == "mailto:":  # Outlook's "ana@example.com<mailto:ana@example.com>"
            from urllib.parse import unquote

            address = unquote(address[7:].split("?", 1)[0])
        local, at, domain = address.rpartition("@")
        if at and local and domain:
            found.setdefault(address.casefold(), address)
    return next(iter(found.values())) if len(found) == 1 else None


def _unwrapped(token: str) -> str:
    """``token`` without the quotation marks around it and the sentence's punctuation after it; an ASCII quote
    only when it wraps the whole token ('"ana lima"@example.com' is an address with a quoted local part)."""
    token = token.lstrip(_OPENING).rstrip(_CLOSING[:3] + _CLOSING[5:])  # closing smart quotes, . ! ?
    for quote in _QUOTES:
        if len(token) > 1 and token[0] == quote and token[-1] == quote:
            token = token[1:-1]
    return token.rstrip(".!?")


def tag_names(text: str) -> list[str]:
    """The tags in what the rep typed or pasted into a tag box: commas separate them, and each is written as it
    reads, with any run of spaces of any kind (a web page's non-breaking ones) one plain space.

    The API matches tags by their letters' case only, so "Hot\u00a0Lead" would be stored beside "Hot Lead" as
    another tag that reads the same, and no tag can be removed. Parts that are only spaces are no tags."""
    names = (" ".join(without_marks(part).split()) for part in text.split(","))
    return [name for name in names if name]
