"""The shared contract module: name splitting, validation and the notes format."""

from __future__ import annotations

import pytest

from crmdesk import contract


def test_name_splits_at_first_whitespace_run() -> None:
    assert contract.split_name("Mary Ann Smith") == ("Mary", "Ann Smith")
    assert contract.split_name("  Cher ") == ("Cher", "")


def test_explicit_first_name_wins_over_name() -> None:
    body = {"name": "John Doe", "firstName": "Johnny", "email": "john@example.com"}
    result = contract.validate_contact_input(body, "create")
    assert result.fields["firstName"] == "Johnny"
    assert result.fields["lastName"] == "Doe"


def test_create_needs_email_or_phone() -> None:
    with pytest.raises(contract.ContractError) as caught:
        contract.validate_contact_input({"name": "John"}, "create")
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "not-an-email"), ("birthday", "2024-02-30"), ("timeZone", "Mars/Base"), ("zipcode", "9" * 21)],
)
def test_invalid_values_name_their_field(field: str, value: str) -> None:
    body = {"name": "John", "phone": "+15551234567", field: value}
    with pytest.raises(contract.ContractError) as caught:
        contract.validate_contact_input(body, "create")
    assert caught.value.field == field
    assert contract.field_from_message(str(caught.value)) == field


def test_a_birthday_in_another_scripts_digits_is_told_its_format_not_that_it_is_no_real_date() -> None:
    with pytest.raises(contract.ContractError) as caught:
        contract.validate_birthday("\uff11\uff19\uff18\uff15-\uff10\uff11-\uff11\uff15")  # 1985-01-15, full-width
    assert "YYYY-MM-DD" in caught.value.message and "not a real date" not in caught.value.message


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "right/Europe/Paris", "posix/Europe/Paris"])
def test_zone_database_files_that_name_no_zone_are_refused(name: str) -> None:
    # They load as zones on Linux: "localtime" would mean the server's zone to the server and the rep's to the app.
    assert not contract.is_time_zone(name)
    with pytest.raises(contract.ContractError):
        contract.validate_time_zone(name)


@pytest.mark.parametrize("name", ["America/Sao_Paulo", "UTC", "Etc/GMT+3", "US/Eastern", "EST5EDT"])
def test_zone_names_are_accepted(name: str) -> None:
    assert contract.validate_time_zone(f" {name} ") == name


def test_seed_notes_parse_oldest_first_and_round_trip() -> None:
    raw = (
        "2025-08-12 09:35 Talked to lead and he said to call back in 2 days.\n\n"
        "2025-08-14 10:46 Called as requested and sent the prices."
    )
    entries = contract.parse_notes(raw)
    assert [e.text for e in entries] == [
        "Talked to lead and he said to call back in 2 days.",
        "Called as requested and sent the prices.",
    ]
    assert entries[0].timestamp is not None and entries[0].timestamp.day == 12
    assert contract.render_notes(entries) == raw


def test_blank_line_inside_a_note_does_not_start_an_entry() -> None:
    raw = "2025-08-12 09:35 first\n\nsecond paragraph\n2025-08-13 10:00 not a new entry\n\n2025-08-14 10:46 next"
    entries = contract.parse_notes(raw)
    assert len(entries) == 2
    assert entries[0].text == "first\n\nsecond paragraph\n2025-08-13 10:00 not a new entry"


def test_blank_lines_before_the_first_stamp_are_no_entry() -> None:
    entries = contract.parse_notes("\n2025-01-01 10:00 x")
    assert [(e.timestamp is not None, e.text) for e in entries] == [(True, "x")]


def test_a_stamp_without_text_round_trips() -> None:
    raw = "2025-01-01 10:00\n\n2025-01-02 11:00 next"
    assert contract.render_notes(contract.parse_notes(raw)) == raw


@pytest.mark.parametrize(
    ("field", "first", "second", "same"),
    [
        ("email", "Ana.Lima@Example.com", "ana.lima@example.com", True),
        ("phone", "+55 11 91234-5678", "+5511912345678", True),
        ("phone", "+1 650 253 0000 ext. 12", "+16502530000 x12", True),
        ("phone", "+16502530000 x12", "+165025300001 x2", False),  # the same digits, another number
        ("value", "5000", "5000.00", True),
        ("value", "-0", "0", True),
        ("value", "1,000", "1000", False),  # which number "1,000" is depends on who wrote it
        ("city", "São  Paulo ", "São Paulo", True),
        ("city", "Natal", "natal", False),
        ("snapshot", "Call back.\n\nWants a quote.", "Call back. Wants a quote.", False),
        ("snapshot", " Call back. ", "Call back.", True),
    ],
)
def test_field_values_are_equivalent_as_the_api_reads_them(field: str, first: str, second: str, same: bool) -> None:
    assert contract.equivalent(field, first, second) is same
    assert contract.equivalent(field, second, first) is same
