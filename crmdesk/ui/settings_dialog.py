"""The Settings dialog: the profile's known stages, qualities, members and tags, its phone region and time zone."""

from __future__ import annotations

import functools
import math

import phonenumbers
from PySide6.QtCore import QCollator, QLocale, QSize, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from crmdesk.contract import MAX_LENGTH, canonical_time_zone, is_time_zone
from crmdesk.services.registry import Registry, RegistryFormatError, fixed_offset_label, part_hour_offset
from crmdesk.ui.contact_form import TimeZoneCombo
from crmdesk.ui.formatting import currencies, phone_region, user_locale


def _lines(edit: QPlainTextEdit) -> list[str]:
    return [line.strip() for line in edit.toPlainText().splitlines() if line.strip()]


def _with_learned(shown: list[str], loaded: list[str], now: list[str]) -> list[str]:
    """The values shown, plus those the registry learned after they were loaded into the dialog (the rep kept
    working while it was open), which the rep could not have removed."""
    known = {value.casefold() for value in (*shown, *loaded)}
    return [*shown, *(value for value in now if value.casefold() not in known)]


class SettingsDialog(QDialog):
    """Non-modal (use ``open()``). OK writes every list to the registry at once; Cancel changes nothing.

    Import merges a registry file into the lists shown (so the user can still cancel); Export writes
    what is shown. Both report problems in the dialog, never in another modal box.
    """

    def __init__(self, registry: Registry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self.registry = registry
        self._file_dialog: QFileDialog | None = None
        self._list_pages: dict[str, QWidget] = {}  # a list editor's object name → its tab's page
        tr = self.tr

        self.stages = self._list_edit("stagesEdit")
        self.qualities = self._list_edit("qualitiesEdit")
        self.tags = self._list_edit("tagsEdit")
        self.members = QTableWidget(0, 2, self)
        self.members.setObjectName("membersTable")
        self.members.setHorizontalHeaderLabels([tr("Email"), tr("Name")])
        self.members.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.members.verticalHeader().setVisible(False)
        self.members.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        add_member = QPushButton(tr("Add member"), self)
        add_member.clicked.connect(lambda: self._add_member_row("", ""))
        remove_member = QPushButton(tr("Remove"), self)
        remove_member.clicked.connect(self._remove_selected_members)
        member_buttons = QHBoxLayout()
        member_buttons.addWidget(add_member)
        member_buttons.addWidget(remove_member)
        member_buttons.addStretch(1)
        members_page = self._members_page = QWidget(self)
        members_layout = QVBoxLayout(members_page)
        members_layout.addWidget(self.members)
        members_layout.addLayout(member_buttons)

        tabs = self.tabs = QTabWidget(self)
        for page, editor, title in (
            (self._list_page(self.stages, tr("One stage per line, spelt as in your account.")), self.stages,
             tr("Stages")),
            (self._list_page(self.qualities, tr("One quality per line, spelt as in your account.")), self.qualities,
             tr("Qualities")),
            (members_page, self.members, tr("Team members")),
            (self._list_page(self.tags, tr("One tag per line.")), self.tags, tr("Tags")),
        ):  # fmt: skip
            tabs.addTab(page, title)
            # A tab title is no label buddy; without this a screen reader announces an unnamed text box.
            editor.setAccessibleName(title.replace("&", ""))

        self.region = QComboBox(self)
        self.region.setObjectName("phoneRegion")
        automatic = phone_region()
        self.region.addItem(
            tr("Automatic (from the system: {name}, {region})").format(name=_region_name(automatic), region=automatic),
            "",
        )
        # By name, as a rep looks for their country (and types its first letters to get there), with the code
        # and calling code beside it.
        collator = QCollator(user_locale())
        names = {code: _region_name(code) for code in phonenumbers.SUPPORTED_REGIONS}

        def by_name(one: str, other: str) -> int:
            return collator.compare(names[one], names[other])

        for code in sorted(names, key=functools.cmp_to_key(by_name)):
            self.region.addItem(f"{names[code]}  {code} +{phonenumbers.country_code_for_region(code)}", code)
        region_label = QLabel(tr("Default phone &region"), self)
        region_label.setBuddy(self.region)
        # The API stamps notes in the account's zone without naming it; the timeline shows them in local time.
        self.account_zone = TimeZoneCombo(self)
        self.account_zone.setObjectName("accountTimeZone")
        self.account_zone.setMinimumContentsLength(22)
        zone_line = self.account_zone.lineEdit()
        assert zone_line is not None  # the combo is editable
        zone_line.setPlaceholderText(tr("Same as this computer"))
        self.account_zone.setToolTip(
            tr(
                "The time zone set in your 8mGenius account: note times are written in it and shown in yours. "
                "Left empty, it is learned from the first note you add."
            )
        )
        zone_label = QLabel(tr("Account's &time zone"), self)
        zone_label.setBuddy(self.account_zone)
        # The API keeps a deal's value as a bare number; the rep's own currency would be a guess.
        self.currency = QComboBox(self)
        self.currency.setObjectName("currency")
        self.currency.addItem(tr("None: show values as numbers"), "")
        for code, symbol in currencies().items():
            self.currency.addItem(f"{code}  {symbol}" if symbol != code else code, code)
        self.currency.setToolTip(tr("The currency your team's deal values are in: shown with every value."))
        currency_label = QLabel(tr("Deal &currency"), self)
        currency_label.setBuddy(self.currency)
        region_form = QFormLayout()
        region_form.addRow(region_label, self.region)
        region_form.addRow(zone_label, self.account_zone)
        region_form.addRow(currency_label, self.currency)
        # A learned zone is a fixed offset with IANA's reversed sign (Etc/GMT+3 is UTC−3): say what it means.
        self.zone_note = QLabel(self)
        self.zone_note.setObjectName("accountTimeZoneNote")
        self.zone_note.setWordWrap(True)
        self.zone_note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.zone_note.hide()
        region_form.addRow("", self.zone_note)
        self.account_zone.editTextChanged.connect(self._explain_zone)

        hint = QLabel(
            tr(
                "The Contact API cannot list your account's stages, qualities or team members, so CRMDesk "
                "remembers every value it sees. Add your team's values here, or import a file a teammate exported."
            ),
            self,
        )
        hint.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)

        self.message.hide()  # shown with something to say: an empty line would only push the buttons down

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        # The file actions sit apart on the left: in the button box, styles put them between OK and Cancel.
        import_button = QPushButton(tr("Import…"), self)
        export_button = QPushButton(tr("Export…"), self)
        import_button.setAutoDefault(False)
        export_button.setAutoDefault(False)
        import_button.clicked.connect(self._choose_import)
        export_button.clicked.connect(self._choose_export)
        bottom = QHBoxLayout()
        bottom.addWidget(import_button)
        bottom.addWidget(export_button)
        bottom.addStretch(1)
        bottom.addWidget(buttons)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(tabs, 1)
        layout.addLayout(region_form)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        # Room for a few lines of each list and rows of the team, in the font's own measure: fixed pixels left a
        # large system font (Windows' 150% text size and up) a team table with no row and lists with no line.
        for edit in (self.stages, self.qualities, self.tags):
            lines = 4 * edit.fontMetrics().lineSpacing() + 2 * (edit.frameWidth() + edit.document().documentMargin())
            edit.setMinimumHeight(math.ceil(lines))
        members_header = self.members.horizontalHeader().sizeHint().height()
        row = self.members.verticalHeader().defaultSectionSize()
        self.members.setMinimumHeight(members_header + 3 * row + 2 * self.members.frameWidth())
        room = self.screen().availableGeometry().size() * 0.9
        self.resize(self.sizeHint().expandedTo(QSize(520, 460)).boundedTo(room))
        self._loaded = registry.to_dict()  # what the lists were loaded from (see accept)
        self._show_values(registry)

    # --- Values -----------------------------------------------------------------------------------

    def _list_edit(self, name: str) -> QPlainTextEdit:
        edit = QPlainTextEdit(self)
        edit.setObjectName(name)
        return edit

    def _list_page(self, edit: QPlainTextEdit, caption: str) -> QWidget:
        """A tab's page: how to write the list, above it. A placeholder would go with the first value, and the
        lists are seldom empty once the app has seen a few contacts."""
        page = self._list_pages[edit.objectName()] = QWidget(self)
        layout = QVBoxLayout(page)
        label = QLabel(caption, page)
        label.setObjectName(edit.objectName().removesuffix("Edit") + "Caption")
        label.setWordWrap(True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        edit.setAccessibleDescription(caption)  # a caption is no label buddy: a screen reader hears it from here
        layout.addWidget(label)
        layout.addWidget(edit)
        return page

    def _add_member_row(self, email: str, name: str) -> None:
        row = self.members.rowCount()
        self.members.insertRow(row)
        self.members.setItem(row, 0, QTableWidgetItem(email))
        self.members.setItem(row, 1, QTableWidgetItem(name))

    def _remove_selected_members(self) -> None:
        for row in sorted({index.row() for index in self.members.selectedIndexes()}, reverse=True):
            self.members.removeRow(row)

    def _show_values(self, registry: Registry) -> None:
        self.stages.setPlainText("\n".join(registry.stages()))
        self.qualities.setPlainText("\n".join(registry.qualities()))
        self.tags.setPlainText("\n".join(registry.tags()))
        self.members.setRowCount(0)
        for email, name in registry.members().items():
            self._add_member_row(email, name)
        index = self.region.findData(registry.phone_region())
        self.region.setCurrentIndex(max(0, index))
        self.account_zone.setEditText(registry.account_time_zone())
        code = registry.currency()
        if code and self.currency.findData(code) < 0:  # a code from a teammate's file that Qt has no locale for
            self.currency.addItem(code, code)
        self.currency.setCurrentIndex(max(0, self.currency.findData(code)))

    def member_values(self) -> dict[str, str]:
        members: dict[str, str] = {}
        for row in range(self.members.rowCount()):
            email_item, name_item = self.members.item(row, 0), self.members.item(row, 1)
            email = email_item.text().strip() if email_item else ""
            if email:
                members[email] = name_item.text().strip() if name_item else ""
        return members

    def _draft(self) -> Registry:
        """The values shown, as a registry that is not saved anywhere."""
        draft = Registry(None)
        draft.replace(
            stages=_lines(self.stages),
            qualities=_lines(self.qualities),
            members=self.member_values(),
            tags=_lines(self.tags),
            phone_region=str(self.region.currentData() or ""),
            account_time_zone=self._zone_text(),
            currency=str(self.currency.currentData() or ""),
        )
        return draft

    def _zone_is_valid(self) -> bool:
        """True for an empty or known zone; otherwise says so at the field (nothing may drop what was typed)."""
        zone = self._zone_text()
        if not zone or is_time_zone(zone) or canonical_time_zone(zone) or part_hour_offset(zone) is not None:
            return True
        self._say(
            self.tr("{zone} is not a time zone. Pick one from the list, such as America/Sao_Paulo.").format(zone=zone)
        )
        self.account_zone.setFocus()
        return False

    def load_values(self) -> None:
        """Show what the registry holds now: it learns as the rep works, and a cancelled edit must not linger."""
        self._loaded = self.registry.to_dict()
        self._show_values(self.registry)
        self._say("")

    def _lists_fit(self) -> bool:
        """True when every stage, quality and tag fits the API's length; otherwise says which does not."""
        for edit, field, what in (
            (self.stages, "stageName", self.tr("stage")),
            (self.qualities, "qualityName", self.tr("quality")),
            (self.tags, "tagName", self.tr("tag")),
        ):
            limit = MAX_LENGTH[field]
            too_long = next((line for line in _lines(edit) if len(line) > limit), None)
            if too_long is not None:
                shown = too_long if len(too_long) <= 40 else too_long[:40] + "…"
                self._say(
                    self.tr("The {what} “{name}” is longer than {limit} characters, the most the API takes.").format(
                        what=what, name=shown, limit=limit
                    )
                )
                self.tabs.setCurrentWidget(self._list_pages[edit.objectName()])
                edit.setFocus()
                return False
        limit = MAX_LENGTH["ownerEmail"]
        for row in range(self.members.rowCount()):
            item = self.members.item(row, 0)
            email = item.text().strip() if item is not None else ""
            if len(email) > limit:
                self._say(
                    self.tr(
                        "The member email “{email}” is longer than {limit} characters, the most the API takes."
                    ).format(email=email[:40] + "…", limit=limit)
                )
                self.tabs.setCurrentWidget(self._members_page)
                self.members.setCurrentCell(row, 0)
                return False
        return True

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _explain_zone(self, text: str) -> None:
        offset = fixed_offset_label(text.strip()) if text.strip() != "UTC" else None
        if offset is not None:
            self.zone_note.setText(
                self.tr(
                    "{offset} all year: a fixed offset, which is what CRMDesk learns from the time on a note you "
                    "add. Pick your account's zone to follow its summer time."
                ).format(offset=offset)
            )
        self.zone_note.setVisible(offset is not None)

    def _zone_text(self) -> str:
        return self.account_zone.currentText().strip()

    def accept(self) -> None:
        members = self.member_values()
        bad = next((email for email in members if "@" not in email), None)
        if bad is not None:
            self._say(self.tr("{email} is not an email address.").format(email=bad))
            return
        if not self._zone_is_valid() or not self._lists_fit():
            return
        told = self.registry.unsaved_reason() is not None  # the window said so when saving first failed
        # The dialog does not block the window: values learned from contacts opened meanwhile are kept, and a
        # setting the rep left as it was shown keeps what the registry holds now.
        loaded, now = self._loaded, self.registry.to_dict()
        emails = {email.casefold() for email in members} | {m["email"].casefold() for m in loaded["members"]}
        for member in now["members"]:
            if member["email"].casefold() not in emails:
                members[member["email"]] = member["name"]

        def setting(shown: str, key: str) -> str:
            return str(now[key]) if shown == loaded[key] else shown

        self.registry.replace(
            stages=_with_learned(_lines(self.stages), loaded["stages"], now["stages"]),
            qualities=_with_learned(_lines(self.qualities), loaded["qualities"], now["qualities"]),
            members=members,
            tags=_with_learned(_lines(self.tags), loaded["tags"], now["tags"]),
            phone_region=setting(str(self.region.currentData() or ""), "phoneRegion"),
            account_time_zone=setting(self._zone_text(), "accountTimeZone"),
            currency=setting(str(self.currency.currentData() or ""), "currency"),
        )
        reason = self.registry.unsaved_reason()
        if reason is not None and told:
            # Failing as before, so the window's banner (perhaps long dismissed) says nothing new: say it here,
            # over the window (the dialog is closing), and without a nested event loop.
            if self.registry.path is None:
                later = self.tr("They apply until you quit CRMDesk.")
            else:
                later = self.tr(
                    "They apply until you quit CRMDesk, and are saved as soon as the disk has room or can be written "
                    "(at the next contact you open or setting you change)."
                )
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                self.tr("Settings not saved"),
                self.tr("These settings could not be saved ({0}).").format(reason) + " " + later,
                parent=self.parentWidget(),
            )
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self._unsaved_box = box  # held: without a parent window, Python would delete it at once
            box.open()
        super().accept()

    # --- Files ------------------------------------------------------------------------------------

    def import_from(self, path: str) -> bool:
        """Merge a registry file into the lists shown; says what is wrong with a bad file."""
        if not self._zone_is_valid():
            return False
        draft = self._draft()
        before = draft.to_dict()
        try:
            kept_zone = draft.import_json(path)
        except RegistryFormatError as exc:
            self._say(self.tr("Not imported: {reason}").format(reason=str(exc)))
            return False
        if draft.to_dict() == before:
            if kept_zone:
                self._say(
                    self.tr(
                        "Nothing new in {path}: its time zone, {zone}, is an offset learned from a note, and the "
                        "zone chosen here stays."
                    ).format(path=path, zone=kept_zone)
                )
            else:
                self._say(self.tr("Nothing new in {path}: every value it holds is here already.").format(path=path))
            return True
        self._show_values(draft)
        self._say(self.tr("Imported {path}. Press OK to keep it.").format(path=path))
        return True

    def export_to(self, path: str) -> bool:
        if not self._zone_is_valid() or not self._lists_fit():
            return False
        try:
            self._draft().export_json(path)
        except OSError as exc:
            self._say(self.tr("Not exported: {reason}").format(reason=str(exc)))
            return False
        self._say(self.tr("Exported to {path}.").format(path=path))
        return True

    def _file_chooser(self, title: str, mode: QFileDialog.AcceptMode) -> QFileDialog:
        chooser = QFileDialog(self, title)
        chooser.setAcceptMode(mode)
        chooser.setNameFilter(self.tr("CRMDesk registry (*.json)"))
        chooser.setDefaultSuffix("json")
        if mode == QFileDialog.AcceptMode.AcceptOpen:
            chooser.setFileMode(QFileDialog.FileMode.ExistingFile)
        chooser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._file_dialog = chooser
        return chooser

    def _choose_import(self) -> None:
        chooser = self._file_chooser(self.tr("Import known values"), QFileDialog.AcceptMode.AcceptOpen)
        chooser.fileSelected.connect(self.import_from)
        chooser.open()

    def _choose_export(self) -> None:
        chooser = self._file_chooser(self.tr("Export known values"), QFileDialog.AcceptMode.AcceptSave)
        chooser.selectFile("crmdesk-registry.json")
        chooser.fileSelected.connect(self.export_to)
        chooser.open()


def _region_name(code: str) -> str:
    """The country or territory a phone region code names ("Brazil" for BR), in English like the rest of the UI."""
    return QLocale.territoryToString(QLocale.codeToTerritory(code))
