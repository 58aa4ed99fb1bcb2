"""The banner's Retry repeats what failed: a failed save is sent again with the rep's edits, never replaced by a
re-run of the last search; an error the app cannot repeat offers no Retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import shiboken6
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from crmdesk.api.client import ContactApi
from crmdesk.api.models import ContactRef
from crmdesk.ui.contact_view import ContactView
from crmdesk.ui.main_window import MainWindow
from tests.support.live_server import Account
from tests.ui.contact_support import FailingTransport, child
from tests.ui.shell_support import close_window, create_contacts, on_server, open_window, run


def _retry_button(window: MainWindow) -> QPushButton:
    buttons = [button for button in window.banner.findChildren(QPushButton) if button.isVisible()]
    assert [button.text() for button in buttons] == ["Retry"], "the banner should offer exactly Retry"
    return buttons[0]


def _open(qtbot: QtBot, window: MainWindow, email: str) -> None:
    window.request_search(email)
    qtbot.waitUntil(lambda: window.contact_view.mode() == "view" and window.contact_view.current_uid() is not None)


def test_retry_after_a_failed_save_sends_the_edits_again(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    failing = FailingTransport("PUT /api/contact", status=500)
    window, ref, city = _alice_saving_olinda(qtbot, account, failing)
    view = window.contact_view
    qtbot.waitUntil(lambda: failing.failed == 1 and not view.form.is_busy())
    assert window.banner.isVisible() and city.text() == "Olinda" and view.has_unsaved_changes()
    assert window.banner.text() == "Not saved. The server failed: Internal error. Try again in a moment."

    _retry_button(window).click()
    qtbot.waitUntil(lambda: not view.has_unsaved_changes())
    assert city.text() == "Olinda"
    assert not [box for box in view.findChildren(QMessageBox) if box.isVisible()]
    assert on_server(qtbot, account, uid=ref.uid).city == "Olinda"
    close_window(qtbot, window)


def test_a_save_that_goes_through_later_takes_the_last_failures_banner_with_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    failing = FailingTransport("PUT /api/contact", status=500)
    window, ref, _city = _alice_saving_olinda(qtbot, account, failing)
    view = window.contact_view
    qtbot.waitUntil(lambda: failing.failed == 1 and not view.form.is_busy())
    assert window.banner.isVisible() and window.banner.text().startswith("Not saved.")

    view.save()  # Ctrl+S again, not the banner's Retry: the server has had its bad moment
    qtbot.waitUntil(lambda: not view.has_unsaved_changes())
    assert view.form_status.text() == "Saved" and on_server(qtbot, account, uid=ref.uid).city == "Olinda"
    assert not window.banner.isVisible()  # no "Not saved" beside "Saved", nor a Retry that would save again
    close_window(qtbot, window)


class _FailsThenRefusesTheEmail(httpx.AsyncBaseTransport):
    """The loopback server, except that the first save fails (500) and the second is refused at the email (400)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.saves = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if f"{request.method} {request.url.path}" != "PUT /api/contact" or self.saves >= 2:
            return await self.inner.handle_async_request(request)
        self.saves += 1
        await request.aread()
        if self.saves == 1:
            return httpx.Response(500, json={"success": False, "error": "Internal error", "code": "SERVER_ERROR"})
        refusal = {"success": False, "error": "Invalid email: the domain does not accept mail", "code": "BAD_REQUEST"}
        return httpx.Response(400, json=refusal)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_save_refused_at_a_field_after_one_that_failed_drops_the_first_ones_banner(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    transport = _FailsThenRefusesTheEmail()
    window, _ref, _city = _alice_saving_olinda(qtbot, account, transport)
    view = window.contact_view
    qtbot.waitUntil(lambda: transport.saves == 1 and not view.form.is_busy())
    assert window.banner.isVisible() and window.banner.text().startswith("Not saved.")

    view.save()
    qtbot.waitUntil(lambda: transport.saves == 2 and not view.form.is_busy())
    assert view.form.message("email") == "The domain does not accept mail"  # said at the field
    assert not window.banner.isVisible()  # the server answered: "The server failed" no longer stands
    close_window(qtbot, window)


def _create_that_fails(qtbot: QtBot, account: Account) -> MainWindow:
    """A window whose first create (Bruno, bruno@example.com, typed into the new-contact form) has just failed."""
    failing = FailingTransport("POST /api/contact", status=503)
    window = open_window(qtbot, account, client_options={"transport": failing, "max_retries": 0})
    window.new_contact()
    view = window.contact_view
    for name, text in (("firstName", "Bruno"), ("email", "bruno@example.com")):
        edit = view.findChild(QLineEdit, name)
        assert edit is not None
        edit.setFocus()
        qtbot.keyClicks(edit, text)
    view.submit_create()
    qtbot.waitUntil(lambda: failing.failed == 1 and not view.form.is_busy())
    return window


def test_retry_after_a_failed_create_creates_the_contact(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = _create_that_fails(qtbot, account)
    view = window.contact_view
    assert view.mode() == "create" and view.form.values()["firstName"] == "Bruno"

    _retry_button(window).click()
    qtbot.waitUntil(lambda: view.mode() == "view")
    assert on_server(qtbot, account, email="bruno@example.com").firstName == "Bruno"
    close_window(qtbot, window)


def test_a_failed_creates_reason_stays_with_its_form(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = _create_that_fails(qtbot, account)
    view = window.contact_view
    assert view.form_status.text().startswith("Not created")
    view.start_create()  # a fresh form (New contact, after Cancel): it owes nothing to the one that failed
    assert view.form_status.text() == ""
    close_window(qtbot, window)


def test_retry_after_a_failed_search_searches_again(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    ref, *_ = create_contacts(
        qtbot,
        account,
        {"name": "Carla Cruz", "email": "carla@example.com"},
        {"name": "Caio Cruz", "email": "cruz@example.com"},
        {"name": "Cora Cruz", "email": "cruz@example.com"},
    )
    failing = FailingTransport("GET /api/contact", status=502)
    window = open_window(qtbot, account, client_options={"transport": failing, "max_retries": 0})
    failing.failed = 1  # the first lookup goes through: two matches are listed
    window.request_search("cruz@example.com")
    qtbot.waitUntil(lambda: window.results_list.count() == 2)
    failing.failed = 0
    window.request_search("carla@example.com")
    qtbot.waitUntil(lambda: failing.failed == 1 and window.banner.isVisible())
    assert window.results_status.text() == "The search did not finish: the message above says why."
    assert window.banner.text().startswith("Search not finished. ")
    assert window.results_list.isHidden()  # the earlier search's matches are not this one's answer

    _retry_button(window).click()
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid)
    assert window.results_status.text() == "Found Carla Cruz."
    close_window(qtbot, window)


def test_a_rate_limit_counts_down_in_the_status_bar_and_clears_when_the_wait_is_over(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    (ref,) = create_contacts(qtbot, account, {"name": "Eva Eder", "email": "eva@example.com"})
    limited = FailingTransport("GET /api/contact", status=429, headers={"Retry-After": "2"})
    window = open_window(qtbot, account, client_options={"transport": limited})
    bar = window.statusBar()
    window.request_search("eva@example.com")
    qtbot.waitUntil(lambda: bar.currentMessage() == "Rate limited — retrying in 2 s")
    qtbot.waitUntil(lambda: bar.currentMessage() == "Rate limited — retrying in 1 s", timeout=2_000)
    qtbot.waitUntil(lambda: window.contact_view.current_uid() == ref.uid, timeout=5_000)
    qtbot.waitUntil(lambda: not bar.currentMessage().startswith("Rate limited"), timeout=2_000)
    close_window(qtbot, window)


def test_a_failure_the_app_cannot_repeat_offers_no_retry(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    create_contacts(qtbot, account, {"name": "Dora Dias", "email": "dora@example.com"})
    failing = FailingTransport("POST /api/contact/tag/add", status=500)
    window = open_window(qtbot, account, client_options={"transport": failing, "max_retries": 0})
    _open(qtbot, window, "dora@example.com")
    view = window.contact_view
    view.tags.input.setText("Hot Lead")
    view.tags.input.returnPressed.emit()
    qtbot.waitUntil(lambda: failing.failed == 1 and window.banner.isVisible())
    # The tag's text is back in its box for the rep to send again; a Retry here would re-run the last search.
    assert view.tags.input.text() == "Hot Lead"
    assert window.banner.text().startswith("Tag “Hot Lead” not added. The server failed")
    assert not [button for button in window.banner.findChildren(QPushButton) if button.isVisible()]
    close_window(qtbot, window)


def _alice_saving_olinda(
    qtbot: QtBot,
    account: Account,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    deleted: bool = False,
    **fields: object,
) -> tuple[MainWindow, ContactRef, QLineEdit]:
    """Alice (City Recife, and ``fields``) open, her City typed as Olinda, and Save pressed; ``deleted``: by
    someone else, first."""
    alice = {"name": "Alice Alpha", "email": "alice@example.com", "city": "Recife", **fields}
    (ref,) = create_contacts(qtbot, account, alice)
    options: dict[str, object] = {"max_retries": 0} if transport is None else {"transport": transport, "max_retries": 0}
    window = open_window(qtbot, account, client_options=options)
    _open(qtbot, window, "alice@example.com")
    view = window.contact_view
    assert [entry.uid for entry in window.recent.entries()] == [ref.uid]

    async def delete_elsewhere() -> None:
        async with ContactApi(account.base_url, account.token) as api:
            await api.delete_contact(ref.uid)

    if deleted:
        run(qtbot, delete_elsewhere())
    city = view.findChild(QLineEdit, "city")
    assert city is not None
    city.setFocus()
    city.selectAll()
    qtbot.keyClicks(city, "Olinda")
    view.save()
    return window, ref, city


def test_a_save_to_a_contact_deleted_elsewhere_offers_to_create_it_anew_from_the_form(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    header: dict[str, Any] = {"stageName": "Contacted", "ownerEmail": "ana@yourcompany.com", "tags": ["VIP"]}
    window, ref, city = _alice_saving_olinda(qtbot, account, deleted=True, **header)
    view = window.contact_view
    view.notes.input.setPlainText("Call back on Monday.")  # typed, not added
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy())
    assert window.banner.text() == (
        "Alice Alpha no longer exists: it was deleted elsewhere. What you typed is still in the form."
    )
    assert view.form_status.text() == "Not saved: Alice Alpha was deleted elsewhere."
    assert city.text() == "Olinda" and window.recent.entries() == []
    assert window.results_status.text() == "Alice Alpha no longer exists: it was deleted."  # not "Found Alice…"

    [create] = [button for button in window.banner.findChildren(QPushButton) if button.isVisible()]
    assert create.text() == "Create as new contact"
    create.click()
    assert view.mode() == "create" and not window.banner.isVisible()
    # Everything Alice held comes along: the form as typed, her stage, owner and tags, and the note typed for her.
    assert (city.text(), view.form.values()["email"]) == ("Olinda", "alice@example.com")
    assert (view.stage_combo.currentData(), view.owner_combo.currentData()) == ("Contacted", "ana@yourcompany.com")
    assert (view.new_tags.text(), view.new_note.toPlainText()) == ("VIP", "Call back on Monday.")
    with qtbot.waitSignal(view.contact_created, timeout=10_000) as created:
        view.save()
    assert created.args[0].uid != ref.uid
    stored = on_server(qtbot, account, email="alice@example.com")
    assert (stored.name, stored.city, stored.stageName, stored.ownerEmail, stored.tags) == (
        "Alice Alpha",
        "Olinda",
        "Contacted",
        "ana@yourcompany.com",
        ("VIP",),
    )
    assert [note.text for note in stored.notes] == ["Call back on Monday."]
    assert view.unsent_drafts() == []  # nothing left behind for a contact that is gone
    close_window(qtbot, window)


def test_reloading_a_contact_deleted_elsewhere_keeps_the_offer_to_create_it_anew(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _ref, city = _alice_saving_olinda(qtbot, account, deleted=True)
    view = window.contact_view
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy())
    for act in (view.reload, lambda: _add_tag(view, "Hot")):  # F5, and a tag: each finds her gone too
        window.banner.dismiss()
        view.form_status.clear()
        act()
        qtbot.waitUntil(lambda: window.banner.isVisible() and window.banner.text().startswith("Alice Alpha no"))
        [create] = [button for button in window.banner.findChildren(QPushButton) if button.isVisible()]
        assert create.text() == "Create as new contact"
        assert view.form_status.text() == "Alice Alpha was deleted elsewhere." and city.text() == "Olinda"
    view.form.revert()
    close_window(qtbot, window)


def _add_tag(view: ContactView, tag: str) -> None:
    view.tags.input.setText(tag)
    view.tags.input.returnPressed.emit()


class _LostAnswer(httpx.AsyncBaseTransport):
    """The server gets (and does) the first ``times`` ``route`` requests; their answers are lost on the way back."""

    def __init__(self, route: str, times: int = 1) -> None:
        self.route, self.lost, self.times = route, 0, times
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if f"{request.method} {request.url.path}" == self.route and self.lost < self.times:
            self.lost += 1
            await response.aread()
            raise httpx.ReadError("connection reset by peer")
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_create_whose_answer_was_lost_says_it_may_exist_and_retry_finds_it(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    lost = _LostAnswer("POST /api/contact")
    window = open_window(qtbot, account, client_options={"transport": lost})
    qtbot.waitUntil(window.contact_view_built)
    view = window.contact_view
    window.new_contact()
    view.form.fill({"firstName": "Carla", "lastName": "Dias", "email": "carla@example.com"})
    view.save()
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy(), timeout=10_000)
    assert lost.lost == 1
    assert window.banner.text().startswith(
        "The contact may have been created: its answer was lost. Creating again checks for it first."
    )
    assert view.form_status.text().startswith("Not confirmed:") and view.mode() == "create"
    created = on_server(qtbot, account, email="carla@example.com")  # it was, indeed

    _retry_button(window).click()  # the duplicate check finds it rather than creating a second one
    qtbot.waitUntil(lambda: view.dialog is not None and view.dialog.isVisible(), timeout=10_000)
    box = view.dialog
    assert isinstance(box, QMessageBox)
    assert box.objectName() == "duplicateDialog" and created.uid in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    view.form.revert()
    close_window(qtbot, window)


def _lost_create(qtbot: QtBot, account: Account, *, times: int = 1, **fields: str) -> tuple[MainWindow, _LostAnswer]:
    """A window whose create of ``fields`` (a note and tags among them) went through, its answer lost (and the
    answers of the ``times`` - 1 creates after it)."""
    lost = _LostAnswer("POST /api/contact", times)
    window = open_window(qtbot, account, client_options={"transport": lost})
    qtbot.waitUntil(window.contact_view_built)
    view = window.contact_view
    window.new_contact()
    note, tags = fields.pop("note", ""), fields.pop("tags", "")
    view.form.fill(fields)
    view.new_note.setPlainText(note)
    view.new_tags.setText(tags)
    view.save()
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy(), timeout=10_000)
    assert lost.lost == 1
    return window, lost


def _duplicate_question(qtbot: QtBot, view: ContactView, after: QMessageBox | None = None) -> QMessageBox:
    """The duplicate question on show (a new one, ``after`` an earlier one answered)."""

    def asked() -> bool:
        box = view.dialog
        return box is not None and box is not after and shiboken6.isValid(box) and box.isVisible()

    qtbot.waitUntil(asked, timeout=10_000)
    box = view.dialog
    assert isinstance(box, QMessageBox) and box.objectName() == "duplicateDialog"
    return box


def _created_again_finds(
    qtbot: QtBot, window: MainWindow, uid: str, name: str, after: QMessageBox | None = None
) -> None:
    """Create pressed again: the duplicate question names ``uid`` as what the lost create made; answered Cancel,
    and the window closed."""
    view = window.contact_view
    view.save()
    box = _duplicate_question(qtbot, view, after=after)
    assert box.text() == f"{name} ({uid}) may be the contact you just created: the answer to that was lost."
    box.button(QMessageBox.StandardButton.Cancel).click()
    view.form.revert()
    close_window(qtbot, window)


def test_after_a_lost_create_a_typo_fixed_before_creating_again_still_finds_the_first(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The usual reason to look at the form again is a typo: the address fixed, the check looked up only the new
    one, and a second contact was made."""
    window, _lost = _lost_create(qtbot, account, firstName="Bea", lastName="Souza", email="bea@exmaple.com")
    view = window.contact_view
    made = on_server(qtbot, account, email="bea@exmaple.com")
    view.form.fill({"email": "bea@example.com"})
    _created_again_finds(qtbot, window, made.uid, "Bea Souza")


def test_every_lost_create_of_a_form_is_looked_for_not_only_the_last(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, lost = _lost_create(qtbot, account, times=2, firstName="Bea", email="bea@exmaple.com")
    view = window.contact_view
    first = on_server(qtbot, account, email="bea@exmaple.com")
    view.form.fill({"email": "bea@example.org"})  # a typo fixed, wrongly
    view.save()
    box = _duplicate_question(qtbot, view)
    next(button for button in box.buttons() if button.text() == "Create anyway").click()
    qtbot.waitUntil(lambda: lost.lost == 2 and not view.form.is_busy(), timeout=10_000)
    view.form.fill({"email": "bea@example.com"})  # and fixed again
    _created_again_finds(qtbot, window, first.uid, "Bea", after=box)


def test_opening_what_a_lost_create_made_does_not_offer_its_note_and_tags_again(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """They are stored already; the note put back in its box would be added twice, for good."""
    window, _lost = _lost_create(
        qtbot, account, firstName="Bea", email="bea@example.com", note="Met at the fair.", tags="Fair, Hot Lead"
    )
    view = window.contact_view
    view.new_tags.setText("Fair, Hot Lead, Q4")  # one more typed since
    view.save()
    box = _duplicate_question(qtbot, view)
    next(button for button in box.buttons() if button.text() == "Open existing").click()
    made = on_server(qtbot, account, email="bea@example.com")
    qtbot.waitUntil(lambda: view.current_uid() == made.uid)
    assert view.notes.input.toPlainText() == ""
    assert view.tags.input.text() == "Q4"
    assert [note.text for note in made.notes] == ["Met at the fair."]
    view.tags.input.clear()
    close_window(qtbot, window)


def test_a_lost_creates_retry_looks_the_contact_up_once_its_form_is_gone(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _lost = _lost_create(qtbot, account, firstName="Bea", email="bea@example.com")
    view = window.contact_view
    view.resolve_unsaved(view.clear)
    box = view.dialog
    assert isinstance(box, QMessageBox)
    assert "The first try may have created it (its answer was lost)" in box.informativeText()
    next(button for button in box.buttons() if button.text() in ("Discard", "Don't Save")).click()
    qtbot.waitUntil(lambda: view.mode() == "empty")
    assert window.banner.isVisible(), "that it may exist is still true"
    _retry_button(window).click()  # looks it up rather than doing nothing
    made = on_server(qtbot, account, email="bea@example.com")
    qtbot.waitUntil(lambda: view.current_uid() == made.uid, timeout=10_000)
    close_window(qtbot, window)


def _refused_for_a_stage_the_account_lacks(qtbot: QtBot, account: Account) -> MainWindow:
    """A window whose create was refused for a reason outside the form (a stage the profile knows and the account
    does not): a failure without Retry."""
    window = open_window(qtbot, account)
    qtbot.waitUntil(window.contact_view_built)
    view = window.contact_view
    window.registry.merge(stages=["Ghost Stage"])
    window.new_contact()
    view.form.fill({"firstName": "Bruno", "email": "bruno@example.com"})
    combo = view.combos["stageName"]
    combo.setCurrentIndex(combo.findData("Ghost Stage"))
    view.save()
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy(), timeout=10_000)
    return window


@pytest.mark.parametrize(
    "failed", [_create_that_fails, _refused_for_a_stage_the_account_lacks], ids=["retry", "no retry"]
)
def test_a_failed_creates_banner_goes_with_its_form(
    qtbot: QtBot,
    qasync_loop: object,
    private_settings: object,
    account: Account,
    failed: Callable[[QtBot, Account], MainWindow],
) -> None:
    """Its Retry would otherwise create whatever the next form holds: another person, half typed."""
    window = failed(qtbot, account)
    assert window.banner.text().startswith("Not created.")
    view = window.contact_view
    view.form.revert()
    view.start_create()
    assert not window.banner.isVisible()
    close_window(qtbot, window)


def test_a_namesake_created_beside_is_never_taken_for_what_a_lost_create_made(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    """The rep chose Create anyway beside an older Bea Souza with the same phone; that create failed at a gateway
    (it may have gone through). The older one was then called "the contact you just created", and Open existing
    dropped the typed note as stored there already: it was stored nowhere."""
    (older,) = create_contacts(qtbot, account, {"name": "Bea Souza", "phone": "+5511912345678"})
    failing = FailingTransport("POST /api/contact", status=502)
    window = open_window(qtbot, account, client_options={"transport": failing, "max_retries": 0})
    qtbot.waitUntil(window.contact_view_built)
    view = window.contact_view
    window.new_contact()
    view.form.fill({"firstName": "Bea", "lastName": "Souza", "email": "bea.new@example.com", "phone": "+5511912345678"})
    view.new_note.setPlainText("Met at the fair.")
    view.save()
    box = _duplicate_question(qtbot, view)
    assert box.text() == f"Bea Souza ({older.uid}) already uses this email or phone."
    next(button for button in box.buttons() if button.text() == "Create anyway").click()
    qtbot.waitUntil(lambda: failing.failed == 1 and not view.form.is_busy(), timeout=10_000)
    view.save()  # again
    box = _duplicate_question(qtbot, view, after=box)
    assert box.text() == f"Bea Souza ({older.uid}) already uses this email or phone."
    next(button for button in box.buttons() if button.text() == "Open existing").click()
    qtbot.waitUntil(lambda: view.current_uid() == older.uid)
    assert view.notes.input.toPlainText() == "Met at the fair.", "kept for the contact opened, not dropped"
    view.notes.input.clear()
    close_window(qtbot, window)


class _ReadBackFails(httpx.AsyncBaseTransport):
    """The create goes through; reading the new contact back (GET by uid) fails with a 500."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.posted = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.posted = self.posted or request.method == "POST"
        if self.posted and request.method == "GET" and "uid" in request.url.params:
            await request.aread()
            return httpx.Response(500, json={"success": False, "error": "Internal error", "code": "SERVER_ERROR"})
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_a_contact_created_but_not_read_back_shows_as_created(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window = open_window(qtbot, account, client_options={"transport": _ReadBackFails(), "max_retries": 0})
    qtbot.waitUntil(window.contact_view_built)
    view = window.contact_view
    window.new_contact()
    create_contacts(qtbot, account, {"name": "Rui Costa", "phone": "+5511900001111", "tags": ["Fair 2025"]})
    view.registry.merge(tags=["Fair 2025"])  # the account spells it so, and the app has seen it
    view.form.fill({"firstName": "Carla", "lastName": "Dias", "email": "carla@example.com", "city": "Natal"})
    view.new_tags.setText("fair 2025")
    view.new_note.setPlainText("Met at the fair.")
    with qtbot.waitSignal(view.contact_created, timeout=10_000) as created:
        view.save()
    stored = on_server(qtbot, account, email="carla@example.com")
    assert created.args[0].uid == stored.uid and view.current_uid() == stored.uid and view.mode() == "view"
    # Shown from what was sent: the first note too (its time unread), and the tag as the account spells it.
    assert view.form.values()["city"] == "Natal" and view.tags.tag_names() == ["Fair 2025"] == list(stored.tags)
    assert [entry.text_label.text() for entry in view.notes.entry_widgets()] == ["Met at the fair."]
    assert view.form_status.text() == "Created" and not view.has_unsaved_changes()
    assert [entry.uid for entry in window.recent.entries()] == [stored.uid]
    # Only the read failed, and it says so, with Retry to read it again.
    qtbot.waitUntil(window.banner.isVisible)
    assert window.banner.text().startswith("Carla Dias was created, but could not be read back.")
    assert _retry_button(window).isVisible()
    close_window(qtbot, window)


def test_a_save_whose_answer_was_lost_is_read_back_and_shown_saved(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    # The server did the save, and its answer was lost on the way back: the contact is read, holds what was sent,
    # and the rep sees "Saved" rather than a doubt to settle by saving again.
    lost = _LostAnswer("PUT /api/contact")
    window, ref, city = _alice_saving_olinda(qtbot, account, lost)
    view = window.contact_view
    qtbot.waitUntil(lambda: view.form_status.text() == "Saved", timeout=10_000)
    assert lost.lost == 1 and not window.banner.isVisible()
    assert not view.has_unsaved_changes() and city.text() == "Olinda"
    assert on_server(qtbot, account, uid=ref.uid).city == "Olinda"
    close_window(qtbot, window)


class _LostRequest(_LostAnswer):
    """The first ``route`` request is lost on its way: the server never gets it, and no answer comes back."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if f"{request.method} {request.url.path}" == self.route and not self.lost:
            self.lost += 1
            raise httpx.ReadError("connection reset by peer")
        return await self.inner.handle_async_request(request)


def test_a_save_whose_answer_was_lost_says_it_may_be_saved_and_retry_sends_it_again(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, ref, city = _alice_saving_olinda(qtbot, account, _LostRequest("PUT /api/contact"))
    view = window.contact_view
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy(), timeout=10_000)
    # The contact read back does not hold it; a gateway may still pass it on, so the doubt is said as it is.
    assert window.banner.text().startswith("The changes may have been saved: the answer was lost.")
    # The server was reached: the banner says the connection broke, not that it could not be reached, and
    # neither line names an exception class.
    assert f"The connection to {window.session.host} broke before its answer arrived." in window.banner.text()
    assert "Cannot reach" not in window.banner.text() and "Error" not in window.banner.text()
    assert view.form_status.text() == "Not confirmed: The connection broke before the server's answer arrived."
    assert view.has_unsaved_changes()
    assert on_server(qtbot, account, uid=ref.uid).city == "Recife"  # it was not
    _retry_button(window).click()  # the same values again
    qtbot.waitUntil(lambda: view.form_status.text() == "Saved", timeout=10_000)
    assert not view.has_unsaved_changes() and city.text() == "Olinda"
    assert on_server(qtbot, account, uid=ref.uid).city == "Olinda"
    close_window(qtbot, window)


def test_retry_after_reverting_a_save_whose_answer_was_lost_shows_what_the_server_holds(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, ref, city = _alice_saving_olinda(qtbot, account, _LostRequest("PUT /api/contact"))
    view = window.contact_view
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy(), timeout=10_000)
    view.revert()  # the rep gives the edit up; the banner still offers Retry, which did nothing then
    with qtbot.waitSignal(view.service.contact_loaded, timeout=10_000):
        _retry_button(window).click()
    assert city.text() == "Recife" == on_server(qtbot, account, uid=ref.uid).city
    close_window(qtbot, window)


def test_the_offer_to_create_a_deleted_contact_anew_goes_with_its_form(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    window, _ref, _city = _alice_saving_olinda(qtbot, account, deleted=True)
    view = window.contact_view
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy())
    window.new_contact()  # the rep moves on: Discard the edits
    box = view.dialog
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Discard).click()
    assert view.mode() == "create"
    # "What you typed is still in the form" is no longer true: the banner, and its button, are gone.
    assert not window.banner.isVisible()
    view.form.revert()
    close_window(qtbot, window)


def test_a_search_cancelled_at_the_unsaved_question_keeps_the_offer_to_create_anew(
    qtbot: QtBot, qasync_loop: object, private_settings: object, account: Account
) -> None:
    create_contacts(qtbot, account, {"name": "Bob Beta", "email": "bob@example.com"})
    window, _ref, city = _alice_saving_olinda(qtbot, account, deleted=True)
    view = window.contact_view
    qtbot.waitUntil(lambda: window.banner.isVisible() and not view.form.is_busy())
    window.request_search("bob@example.com")
    qtbot.waitUntil(lambda: bool(view.findChildren(QMessageBox, "unsavedDialog")))
    child(view, QMessageBox, "unsavedDialog").button(QMessageBox.StandardButton.Cancel).click()
    # Still on Alice's form, as typed: the offer about it stands.
    assert city.text() == "Olinda" and window.banner.isVisible()
    [create] = [button for button in window.banner.findChildren(QPushButton) if button.isVisible()]
    assert create.text() == "Create as new contact"
    view.form.revert()
    close_window(qtbot, window)
