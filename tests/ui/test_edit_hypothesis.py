"""Random field values typed into the form never crash it: each attempt either saves or shows a field message."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import Contact
from crmdesk.ui.contact_form import FORM_FIELDS
from tests.ui.contact_support import (
    create_contact,
    demo_registry,
    make_view,
    read_back,
)

_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=120)
_VALUES: dict[str, st.SearchStrategy[str]] = {
    "email": st.one_of(st.emails().map(str), _TEXT, st.just("")),
    "phone": st.one_of(st.from_regex(r"\+?[0-9 ()-]{0,20}", fullmatch=True), _TEXT),
    "birthday": st.one_of(
        st.dates().map(lambda day: day.isoformat()), st.from_regex(r"\d{4}-\d{2}-\d{2}", fullmatch=True), _TEXT
    ),
    "timeZone": st.one_of(st.sampled_from(["America/Sao_Paulo", "Europe/Lisbon", "UTC", "Mars/Base", ""]), _TEXT),
    "zipcode": st.text(max_size=30),
    "value": st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str), _TEXT),
}


def _strategy(field: str) -> st.SearchStrategy[str]:
    return _VALUES.get(field, st.one_of(_TEXT, st.text(max_size=400)))


_EDITS = st.dictionaries(st.sampled_from(FORM_FIELDS), st.just(""), min_size=1, max_size=5).flatmap(
    lambda chosen: st.fixed_dictionaries({field: _strategy(field) for field in chosen})
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_EDITS)
def test_random_edits_save_or_show_a_field_message(qtbot: QtBot, api: ContactApi, edits: dict[str, str]) -> None:
    contact = create_contact(qtbot, api, name="Random Person", email="random@example.com")
    service, view = make_view(qtbot, api, demo_registry())
    view.show_contact(contact)
    view.form.fill(edits)
    if not view.has_unsaved_changes():
        assert not view.save_button.isEnabled()
        return
    if not view.save_button.isEnabled():
        messages = {field: view.form.message(field) for field in FORM_FIELDS if view.form.message(field)}
        assert messages, f"Save is disabled but no field says why: {edits!r}"
        event("field message")
        return
    outcome: list[object] = []
    service.saved.connect(outcome.append)
    service.save_failed.connect(outcome.append)
    view.save()
    sent = view.form.changes()  # as sent: Save writes the phone in international form first
    qtbot.waitUntil(lambda: bool(outcome), timeout=10_000)
    if isinstance(outcome[0], Contact):
        event("saved")
        server = read_back(qtbot, api, contact.uid)
        for field, value in sent.items():
            stored = getattr(server, field)
            assert stored.casefold() == value.casefold() if field == "email" else stored == value, field
        assert not view.has_unsaved_changes()
    else:
        event("rejected by the server")
        assert any(view.form.message(field) for field in FORM_FIELDS), f"a failed save must say why: {outcome[0]!r}"
        assert view.form.changes() == sent, "a failed save keeps every edit"
