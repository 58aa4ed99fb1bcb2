"""Phone numbers: the default region for a locale, and normalisation to E.164 with ``phonenumbers``.

Qt-free on purpose: the caller passes ``QLocale().name()`` (e.g. ``"pt_BR"``) so this stays testable
and usable from non-UI code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from crmdesk.contract import split_extension

FALLBACK_REGION = "US"


def default_region(locale_name: str, configured: str = "") -> str:
    """The region to read national numbers in: the Settings choice, else the locale's territory, else US.

    ``pt_BR`` gives ``BR`` (the case the product names explicitly); ``en_GB`` gives ``GB``; ``C`` or a
    language-only locale falls back to ``US``.
    """
    if configured.strip():
        return configured.strip().upper()
    name = re.split(r"[.@]", locale_name, maxsplit=1)[0].replace("-", "_")  # "de_DE.UTF-8", "de_DE@euro"
    parts = name.split("_")
    if len(parts) >= 2:
        territory = parts[-1].upper()
        if territory in phonenumbers.SUPPORTED_REGIONS:
            return territory
    return FALLBACK_REGION


@dataclass(frozen=True, slots=True)
class PhoneCheck:
    """The outcome of :func:`normalise`: ``e164`` when the number is valid, else a ``message`` for the user.

    E.164 has no extension: a number that has one keeps it after the E.164 form, as ``+16502530000 ext. 123``.
    """

    e164: str | None
    message: str | None = None


def normalise(text: str, region: str) -> PhoneCheck:
    """Parse ``text`` (national numbers read in ``region``) and return its E.164 form or why it is invalid."""
    text = text.strip()
    if not text:
        return PhoneCheck(None, "Enter a phone number.")
    try:
        number = phonenumbers.parse(text, region.upper() or FALLBACK_REGION)
    except phonenumbers.NumberParseException:
        return PhoneCheck(
            None, "This does not look like a phone number. Include the country code, e.g. +55 11 98765 4321."
        )
    if not phonenumbers.is_valid_number(number):
        where = phonenumbers.region_code_for_number(number) or region.upper()
        return PhoneCheck(None, f"Not a valid phone number for {where}; check the digits and the country code.")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneCheck(f"{e164} ext. {number.extension}" if number.extension else e164)


def stored_forms(e164: str) -> list[str]:
    """``e164`` and the national form the same number may be stored in by tools that keep numbers as typed
    ("(512) 555-0142", "020 7946 0958", trunk prefix and all), if its digits differ: the API compares every digit,
    so a lookup of the E.164 form alone misses them. Anything that is no E.164 number comes back alone."""
    number_text, extension = split_extension(e164)
    try:
        number = phonenumbers.parse(number_text, None)
    except phonenumbers.NumberParseException:
        return [e164]
    forms = [e164]
    seen = {digits(e164)}
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    # Not the bare national number ("2079460958" for London): without its trunk prefix it is another country's
    # number as often as not (a US "(207) 946-0958").
    text = f"{national} ext. {extension}" if extension else national
    if digits(text) not in seen:
        forms.append(text)
    return forms


def digits(text: str) -> str:
    """The ASCII digits of ``text``: what the API compares phones by."""
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def tel_url(text: str) -> str:
    """A tel: link (RFC 3966) that dials the number and then its extension."""
    number, extension = split_extension(text)
    number = number.replace(" ", "")
    return f"tel:{number};ext={extension}" if extension else f"tel:{number}"


def whatsapp_url(e164_or_text: str) -> str:
    """The wa.me link for a number: only its digits, country code first (an extension is no part of it)."""
    number, _extension = split_extension(e164_or_text)
    digits = "".join(ch for ch in number if ch.isascii() and ch.isdigit())
    return f"https://wa.me/{digits}"
