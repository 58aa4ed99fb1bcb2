"""Phone normalisation to E.164 and the default region that national numbers are read in."""

from __future__ import annotations

import time

import pytest

from crmdesk.services import phone
from crmdesk.services.phone import default_region, normalise, whatsapp_url


@pytest.mark.parametrize(
    ("locale_name", "configured", "expected"),
    [
        ("pt_BR", "", "BR"),
        ("pt-BR", "", "BR"),
        ("en_GB.UTF-8", "", "GB"),
        ("de_DE@euro", "", "DE"),
        ("de_DE", "", "DE"),
        ("C", "", "US"),
        ("en", "", "US"),
        ("pt_BR", "pt", "PT"),
    ],
)
def test_default_region(locale_name: str, configured: str, expected: str) -> None:
    assert default_region(locale_name, configured) == expected


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("(11) 98765-4321", "BR", "+5511987654321"),
        ("+55 11 98765 4321", "US", "+5511987654321"),
        ("(415) 555-2671", "US", "+14155552671"),
        ("020 7946 0958", "GB", "+442079460958"),
    ],
)
def test_valid_numbers_become_e164(text: str, region: str, e164: str) -> None:
    assert normalise(text, region).e164 == e164


@pytest.mark.parametrize("text", ["12", "+55 123", "not a number", ""])
def test_invalid_numbers_get_a_message(text: str) -> None:
    result = normalise(text, "BR")
    assert result.e164 is None and result.message


def test_whatsapp_link_uses_digits_only() -> None:
    assert whatsapp_url("+55 (11) 98765-4321") == "https://wa.me/5511987654321"


@pytest.mark.parametrize(
    ("text", "region", "normal"),
    [
        ("+1 650-253-0000 ext. 123", "US", "+16502530000 ext. 123"),
        ("(650) 253-0000 x7", "US", "+16502530000 ext. 7"),
        ("+55 11 3456-7890 #22", "BR", "+551134567890 ext. 22"),
    ],
)
def test_an_extension_is_kept_after_the_e164_form(text: str, region: str, normal: str) -> None:
    assert phone.normalise(text, region).e164 == normal


def test_call_and_whatsapp_links_dial_the_number_and_leave_the_extension_to_the_call() -> None:
    assert phone.tel_url("+16502530000 ext. 123") == "tel:+16502530000;ext=123"
    assert phone.tel_url("+55 11 98765 4321") == "tel:+5511987654321"
    assert phone.whatsapp_url("+16502530000 ext. 123") == "https://wa.me/16502530000"
    assert phone.split_extension("+16502530000") == ("+16502530000", "")
    assert phone.split_extension("+16502530000x7") == ("+16502530000", "7")
    assert phone.split_extension("Rua da Praia, box 12") == ("Rua da Praia, box 12", "")


def test_a_stored_phone_of_many_blanks_is_read_at_once() -> None:
    """Any text can be stored as a phone by another tool. Reading one of 20,000 blanks took ~9 s when the
    extension's pattern backtracked through them (quadratic); now it takes a millisecond or two. The bound is
    loose: a correct version passes it on the slowest machine, the quadratic one fails it on the fastest."""
    blanks = "1" + " " * 20_000 + "x7"
    started = time.perf_counter()
    assert phone.split_extension(blanks) == ("1", "7")
    assert phone.split_extension(blanks[:-1]) == (blanks[:-1].strip(), "")
    assert phone.tel_url(blanks) == "tel:1;ext=7"
    assert time.perf_counter() - started < 2.0
