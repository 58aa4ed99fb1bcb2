"""Profiles: named accounts, each with its own base URL and window state in QSettings (tokens live elsewhere)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from crmdesk.api.address import DEFAULT_BASE_URL
from crmdesk.paths import is_valid_profile_name

DEFAULT_PROFILE = "default"
DEMO_PROFILE = "demo"

_GROUP = "profiles"


class Profiles:
    """Reads and writes per-profile UI state. QSettings is cheap to construct, so each call makes its own."""

    def names(self) -> list[str]:
        settings = QSettings()
        settings.beginGroup(_GROUP)
        names = sorted(name for name in settings.childGroups() if is_valid_profile_name(name))
        settings.endGroup()
        return names

    def last_used(self) -> str:
        name = QSettings().value("lastProfile", DEFAULT_PROFILE, type=str)
        return name if isinstance(name, str) and is_valid_profile_name(name) else DEFAULT_PROFILE

    def set_last_used(self, profile: str) -> None:
        if profile != DEMO_PROFILE:  # a demo run should not change which account opens next time
            QSettings().setValue("lastProfile", profile)

    def _key(self, profile: str, key: str) -> str:
        if not is_valid_profile_name(profile):
            raise ValueError(f"Invalid profile name {profile!r}")
        return f"{_GROUP}/{profile}/{key}"

    def base_url(self, profile: str) -> str:
        value = QSettings().value(self._key(profile, "baseUrl"), DEFAULT_BASE_URL, type=str)
        return value if isinstance(value, str) and value else DEFAULT_BASE_URL

    def set_base_url(self, profile: str, base_url: str) -> bool:
        """Keep ``base_url`` for ``profile``; False when the settings file cannot be written, so that the next start
        would not know it (QSettings says so only once it has tried to write)."""
        settings = QSettings()
        settings.setValue(self._key(profile, "baseUrl"), base_url)
        settings.sync()
        # FormatError only says the file read before was malformed: it has been written anew since.
        return settings.status() != QSettings.Status.AccessError

    def token_remembered(self, profile: str) -> bool:
        """Whether the profile's token went into the keyring when it last signed in (a hint, never the token).

        The app opens the window at once for such a profile and reads the keyring meanwhile, instead of
        making the user wait for it before anything shows.
        """
        return QSettings().value(self._key(profile, "tokenRemembered"), False, type=bool) is True

    def set_token_remembered(self, profile: str, remembered: bool, *, server: str | None = None) -> None:
        """Set the hint, and note which server the keyring's token is for (see :meth:`token_server`): ``server``,
        else, for a token found in the keyring, the profile's address now (an older version noted none). Clearing
        the hint keeps the note: a token the keyring would not remove is still that server's."""
        settings = QSettings()
        if remembered:
            settings.setValue(self._key(profile, "tokenRemembered"), True)
            if server is None and not settings.value(self._key(profile, "tokenServer"), "", type=str):
                server = self.base_url(profile)
        else:
            settings.remove(self._key(profile, "tokenRemembered"))
        if server is not None:
            settings.setValue(self._key(profile, "tokenServer"), server)

    def token_server(self, profile: str) -> str:
        """The server the token in the keyring was given for, the only one it may be sent to; "" when unknown.

        An older version noted none. The token it remembered with the hint set was for the profile's address,
        which is noted now, once. Without the hint, that version had let go of the token (a sign-in without
        Remember, a sign-out the keyring refused): whose it is cannot be told, and it goes nowhere.
        """
        settings = QSettings()
        value = settings.value(self._key(profile, "tokenServer"), "", type=str)
        if isinstance(value, str) and value:
            return value
        if not self.token_remembered(profile):
            return ""
        server = self.base_url(profile)
        settings.setValue(self._key(profile, "tokenServer"), server)
        return server

    def state(self, profile: str, key: str) -> QByteArray | None:
        value = QSettings().value(self._key(profile, key))
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_state(self, profile: str, key: str, value: QByteArray) -> None:
        QSettings().setValue(self._key(profile, key), value)
