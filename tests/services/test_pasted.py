"""Text pasted from web pages, chat apps, PDFs and signatures, read as the rep means it."""

from __future__ import annotations

import pytest

from crmdesk.services.pasted import ascii_digits, email_in, tag_names, without_marks


@pytest.mark.parametrize(
    ("pasted", "address"),
    [
        ("ana@example.com", "ana@example.com"),
        ("Ana Lima <ana@example.com>", "ana@example.com"),
        ("mailto:ana@example.com?subject=Hi&body=Hello", "ana@example.com"),
        ("\u201cana@example.com\u201d", "ana@example.com"),  # in smart quotes
        ("'ana@example.com'", "ana@example.com"),
        ("ana@example.com.", "ana@example.com"),  # the end of a sentence
        ("E-mail: ana@example.com", "ana@example.com"),
        ("E-mail:ana@example.com", "ana@example.com"),  # a label glued to it
        ("EMAIL;TYPE=INTERNET:ana@example.com", "ana@example.com"),  # a vCard's line
        ("\u90ae\u7bb1\uff1aana@example.com", "ana@example.com"),  # a full-width colon
        ("ana@example.com<mailto:ana@example.com>", "ana@example.com"),  # Outlook's plain text of a link
        ("E-mail: ana@example.com <mailto:ana@example.com>", "ana@example.com"),
        ("ana@example.com;", "ana@example.com"),  # as copied from a To: line
        ("ana@example.com,", "ana@example.com"),
        ("\u200eana@example.com\u200f", "ana@example.com"),  # direction marks a web page put around it
        ("an\u00ada@example.com", "ana@example.com"),  # a soft hyphen
        ("Ana Lima\nSales, Acme\nTel: +55 11 98765-4321\nana@example.com\nwww.acme.com", "ana@example.com"),
        ("Ana Lima, Sales, E-mail: ana@example.com, www.acme.com", "ana@example.com"),  # as the search box has it
        ("ana@example.com, ANA@example.com", "ana@example.com"),  # the same address twice is one
        ("o'brien@example.com", "o'brien@example.com"),  # an apostrophe inside an address is part of it
        ("ana+leads@example.com", "ana+leads@example.com"),
        ("mailto:ana.lima%2Bx@example.com?subject=Hi", "ana.lima+x@example.com"),  # percent-encoded, as links are
        # Characters an address may begin with, and a quoted local part, are the address's own.
        ("!ana@example.com", "!ana@example.com"),
        ('"ana lima"@example.com', '"ana lima"@example.com'),
        ("'maria'@example.com", "'maria'@example.com"),
    ],
)
def test_the_one_address_in_pasted_text_is_found(pasted: str, address: str) -> None:
    assert email_in(pasted) == address


@pytest.mark.parametrize(
    "pasted",
    [
        "ana@example.com; bruno@example.com",  # two people: which one is meant cannot be told
        "Ana Lima",
        "@ana",
        "ana@",
        "",
    ],
)
def test_text_with_no_address_or_several_gives_none(pasted: str) -> None:
    assert email_in(pasted) is None


@pytest.mark.parametrize(
    "typed",
    [
        "maria silva@example.com",  # a space for the dot: "silva@example.com" is somebody else
        "maria,silva@example.com",  # a comma for the dot
        "maria:silva@example.com",  # a colon for the dot (Shift+. on a German keyboard)
        "ana lima@example.com",
        "ana@@example.com",
        "Write to ana@example.com now",
    ],
)
def test_a_malformed_address_comes_back_as_it_is_never_as_a_part_that_is_another_address(typed: str) -> None:
    assert email_in(typed) == typed


@pytest.mark.parametrize(
    ("typed", "tags"),
    [
        ("Website, Referral", ["Website", "Referral"]),
        ("Hot\u00a0Lead", ["Hot Lead"]),  # a web page's non-breaking space is a space
        ("Trade\u202fShow ,  Q1   2024 ", ["Trade Show", "Q1 2024"]),
        ("\u200eVIP\u200f", ["VIP"]),
        (" , ,", []),
        ("", []),
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467 family", ["\U0001f468\u200d\U0001f469\u200d\U0001f467 family"]),
    ],
)
def test_tags_are_split_at_commas_and_written_with_plain_spaces(typed: str, tags: list[str]) -> None:
    assert tag_names(typed) == tags


def test_digits_of_every_script_become_ascii_and_nothing_else_changes() -> None:
    assert ascii_digits("\uff11\uff19\uff18\uff15-\uff10\uff11-\uff11\uff15") == "1985-01-15"  # full-width
    assert ascii_digits("\u0660\u0665\u0660\u0661\u0662") == "05012"  # Arabic-Indic
    assert ascii_digits("\u0968\u0966\u0968\u096c") == "2026"  # Devanagari
    assert ascii_digits("R$ 1.234,56 \u00e0 vista") == "R$ 1.234,56 \u00e0 vista"
    assert ascii_digits("\u00b2") == "\u00b2"  # a superscript is no decimal digit


def test_invisible_marks_go_and_joiners_stay() -> None:
    assert without_marks("\u202a+55 11 98765-4321\u202c") == "+55 11 98765-4321"  # as WhatsApp copies a number
    assert without_marks("\u2066x\u2069\ufeff\u2060\u200b") == "x"
    assert without_marks("a\u200db\u200cc") == "a\u200db\u200cc"
