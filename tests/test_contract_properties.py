"""Property tests for the shared contract: notes render/parse round-trip, name splitting, and validation
that never raises anything but ContractError."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from crmdesk import contract
from crmdesk.contract import NoteEntry

_HEAD = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?: |$)")

minutes = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59)).map(
    lambda moment: moment.replace(second=0, microsecond=0)
)
note_text = st.text(st.characters(codec="utf-8", exclude_characters="\r"), max_size=60) | st.lists(
    st.sampled_from(["", "call back", "2025-08-14 10:46 quoted stamp", "  indented"]), max_size=5
).map("\n".join)


def _unambiguous(text: str) -> bool:
    """A text is only ambiguous where a blank line is followed by a line that starts with a timestamp."""
    lines = text.split("\n")
    return not any(lines[i] == "" and _HEAD.match(lines[i + 1]) for i in range(len(lines) - 1))


@settings(max_examples=300)
@given(st.lists(st.tuples(minutes, note_text.filter(_unambiguous)), max_size=6))
def test_notes_round_trip(entries: list[tuple[datetime, str]]) -> None:
    notes = [NoteEntry(stamp, text) for stamp, text in entries]
    raw = contract.render_notes(notes)
    assert contract.parse_notes(raw) == notes
    assert contract.render_notes(contract.parse_notes(raw)) == raw


@given(st.text(max_size=200) | st.lists(note_text, max_size=4).map("\n\n2025-08-14 10:46 ".join))
def test_parse_notes_never_fails_and_invents_no_text(raw: str) -> None:
    entries = contract.parse_notes(raw)
    # Each entry's text is a piece of the history as sent: the parser only cuts, it never alters (but for a
    # Windows client's line ends, which it reads as the contract's "\n").
    assert all(entry.text in raw.replace("\r\n", "\n") for entry in entries)
    # Only the first entry can lack a timestamp (text a vendor put before any stamp).
    assert all(entry.timestamp is not None for entry in entries[1:])
    # Rendering what was parsed gives back the same timeline.
    assert contract.parse_notes(contract.render_notes(entries)) == entries


@given(st.text(max_size=80))
def test_split_name_splits_at_the_first_whitespace_run(name: str) -> None:
    first, last = contract.split_name(name)
    assert not any(ch.isspace() for ch in first)
    assert last == last.strip()
    stripped = name.strip()
    if last:
        # Putting the halves back together with the run that separated them gives the trimmed name.
        middle = stripped[len(first) : len(stripped) - len(last)]
        assert stripped.startswith(first) and stripped.endswith(last)
        assert middle and middle.isspace()
    else:
        assert first == stripped


@given(st.text(min_size=1, max_size=30).filter(lambda s: not any(c.isspace() for c in s)), st.text(max_size=30))
def test_split_name_keeps_a_single_first_word(first: str, rest: str) -> None:
    name = f"{first} {rest}"
    assert contract.split_name(name) == (first, rest.strip())


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=40)
    | st.sampled_from(["john@example.com", "+15551234567", "2024-02-29", "America/Sao_Paulo", "x" * 300]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
bodies = st.dictionaries(
    st.sampled_from([*contract.CREATE_FIELDS, "uid", "unknown"]) | st.text(max_size=8), json_values, max_size=8
)


@settings(max_examples=400)
@given(bodies, st.sampled_from(["create", "update"]))
def test_validation_raises_only_contract_errors(body: dict[str, Any], mode: contract.Mode) -> None:
    try:
        result = contract.validate_contact_input(body, mode)
    except contract.ContractError as exc:
        assert exc.field is None or isinstance(exc.field, str)
        assert str(exc).startswith(("Invalid", "Missing"))
        return
    assert all(isinstance(value, str) for value in result.fields.values())
    if mode == "create":
        contract.check_identity(result.fields)


@given(st.dictionaries(st.sampled_from(["uid", "email", "phone"]), json_values, max_size=3))
def test_identifier_raises_only_contract_errors(params: dict[str, Any]) -> None:
    try:
        kind, value = contract.validate_identifier(params)
    except contract.ContractError:
        return
    assert kind in contract.IDENTIFIER_FIELDS and value == value.strip() and value


@given(st.text(max_size=300), st.sampled_from([*contract.STRING_FIELDS]))
def test_single_field_validation_raises_only_contract_errors(value: str, field: str) -> None:
    try:
        result = contract.validate_field(field, value)
    except contract.ContractError as exc:
        assert exc.field == field
        return
    assert len(result) <= contract.MAX_LENGTH.get(field, len(result))


@settings(max_examples=300)
@given(st.text(st.characters(max_codepoint=0x2FF), max_size=40) | st.text(min_size=8, max_size=40))
def test_every_token_the_server_takes_is_one_the_app_can_send(token: str) -> None:
    from crmdesk.api.address import check_token
    from crmdesk.server.store import StoreError, checked_token

    try:
        kept = checked_token(token)
    except StoreError:
        return
    assert check_token(kept) == kept
