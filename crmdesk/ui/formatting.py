"""Dates, times and money in the user's locale, in one place so the header, the form and the notes agree."""

from __future__ import annotations

import functools
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale, QTime, QTimeZone

from crmdesk.services.pasted import ascii_number, without_marks

_CONTEXT = "Formatting"

#: A plain decimal as the API stores ``value`` ("12000.00", "5000", "1,250.50"). Anything else ("1.250,50", "5k")
#: is shown as typed rather than guessed at: a wrong amount on screen is worse than an unformatted one.
_AMOUNT = re.compile(r"([+-]?)(\d+(?:[.,]\d+)*)")
# A mark before or after the number (a symbol, a code, letters: "R$", "Rs.", Saudi Arabia's "ر.س."), and the number
# itself. A mark may hold a dot ("Afl. 12.500,00"), but the number begins and ends with a digit: "12.5." is none.
_MARKS = re.compile(
    r"((?:[^\d+\-.,][^\d+\-]*?)?)\s*([+-]?\d(?:[\d.,\s\u00a0\u202f'’]*\d)?)\s*((?:[^\d.,]\D*)?)", re.DOTALL
)
# Spaces and apostrophes that group digits in threes (French "12 000", Swiss "12'000").
_GROUP_SPACES = re.compile(r"(?<=\d)[\s\u00a0\u202f'’](?=\d{3}(?!\d))")


def _tr(text: str, n: int = -1) -> str:
    return QCoreApplication.translate(_CONTEXT, text, None, n)


#: Where a Unix desktop says which country's conventions the rep follows, most telling first. GNOME's and KDE's
#: "Formats" set these apart from the language (LANG), which is all ``QLocale().name()`` reads there.
#: Not LC_TIME nor LC_NUMERIC: reps set those alone for a date or number style ("en_DK" for ISO dates, a 24-hour
#: clock from "en_GB") that says nothing about their country's phone numbers.
_REGION_VARIABLES = ("LC_ALL", "LC_TELEPHONE", "LC_ADDRESS", "LC_MONETARY", "LANG")


def phone_region(configured: str = "") -> str:
    """The region a number typed without its country is read in: ``configured`` (Settings), else the locale's."""
    from crmdesk.services import phone as phone_numbers

    return phone_numbers.default_region(_region_locale_name(), configured)


def _region_locale_name() -> str:
    """The locale naming the rep's country: on Windows and macOS Qt's system locale is the region's; elsewhere a
    rep with English menus and Brazilian formats has ``LANG=en_GB.UTF-8`` and ``LC_MONETARY=pt_BR.UTF-8``."""
    if sys.platform not in ("win32", "darwin"):
        for variable in _REGION_VARIABLES:
            name = os.environ.get(variable, "")
            if name and name.split(".", 1)[0] not in ("C", "POSIX"):
                return name
    return QLocale().name()


def user_locale() -> QLocale:
    """The locale to format with: the user's, unless the system only offers the POSIX "C" locale.

    "C" (what ``LANG=C.UTF-8`` and many minimal sessions give) has no currency symbol, no digit grouping and the
    date pattern "d MM yyyy", so "12000.00" and "4 08 2025" would reach the screen. It states no preference, so
    US English, the API's own language, stands in; any real locale the user sets wins.
    """
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return locale


def medium_date_format(locale: QLocale) -> str:
    """A "4 Aug 2025" / "Aug 4, 2025" pattern: the locale's long date without weekday and with a short month.

    Qt offers only long ("Monday, 4 August 2025") and short ("04/08/2025", ambiguous across countries) dates;
    the medium form is unambiguous and fits a header line.
    """
    pattern = locale.dateFormat(QLocale.FormatType.LongFormat)
    medium = re.sub(r"^dddd[\s,،]*|[\s,،]*dddd$", "", pattern).replace("MMMM", "MMM")
    if "dddd" in medium or "yy" not in medium or "d" not in medium:
        return locale.dateFormat(QLocale.FormatType.ShortFormat)
    return medium


# A date written with numbers only: three parts with the same separator between them ("25/12/1990", "25.12.90",
# "1990/12/25").
_NUMERIC_DATE = re.compile(r"(\d{1,4})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{1,4})\.?")


def iso_date(text: str, locale: QLocale, today: date | None = None) -> str | None:
    """A date typed the way ``locale`` writes dates ("25/12/1990" in Brazil, "12/25/1990" in the US, "25.12.90" in
    Germany) or year first ("1990/12/25", "1990-4-5") as the API's YYYY-MM-DD; None when it is not one date.

    The order of day and month is the locale's, unless only the other order makes a real date ("25/12/1990" from a
    European email to a US rep). A two-digit year is the latest that is not after ``today``'s: a birthday is past.
    """
    match = _NUMERIC_DATE.fullmatch(text.strip())
    if match is None:
        return None
    first, _separator, second, third = match.groups()
    pattern = re.sub(r"'[^']*'", "", locale.dateFormat(QLocale.FormatType.ShortFormat))  # without quoted text
    year_first = pattern.find("y") < min(pattern.find("d"), pattern.find("M"))
    if len(first) == 4 or (year_first and len(first) == 2 and len(third) <= 2):
        readings = [(first, second, third)]  # "1990/12/25", and Japan's "90/12/25"
    elif len(first) <= 2 and len(third) in (2, 4) and not year_first:
        day_month, month_day = (third, second, first), (third, first, second)
        readings = [month_day, day_month] if pattern.find("M") < pattern.find("d") else [day_month, month_day]
    else:
        return None
    today = today or date.today()
    found: list[date] = []
    for year_text, month_text, day_text in readings:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        try:
            day = date(year, int(month_text), int(day_text))
            if len(year_text) == 2 and day > today:
                day = day.replace(year=year - 100)  # "1/12/26" typed on 28 Nov 2026: a birthday is past
        except ValueError:
            continue
        found.append(day)
    if not found:
        return None
    return found[0].isoformat()


def local_moment(moment: datetime) -> QDateTime:
    """An API timestamp (UTC, naive or aware) as a local QDateTime."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return QDateTime.fromSecsSinceEpoch(int(aware.timestamp()), QTimeZone.utc()).toLocalTime()


def time_zone(name: str) -> tzinfo | None:
    """The IANA zone ``name`` (or the fixed offset a learned "UTC+05:30" names), or None for ``""`` or a name this
    computer's time-zone data does not know."""
    if not name:
        return None
    from crmdesk.services.registry import zone_named

    return zone_named(name)


def account_stamps_to_local(stamps: Sequence[datetime | None], zone: tzinfo | None) -> list[datetime | None]:
    """Notes' stamps (naive, written in the account's ``zone``), oldest first as a contact holds them, as this
    computer's naive local times. With no known zone they are taken to be local already: the account and the
    computer agree in most teams.

    A stamp in the hour the account's clocks repeat when summer time ends is read as its second pass when the
    first would put it before the note above it: notes only grow, so a later one is never older. (Read alone, a
    call logged at 01:05 after one at 01:50 showed an hour early, and above it.)
    """
    if zone is None:
        return list(stamps)
    local: list[datetime | None] = []
    previous: datetime | None = None  # the note above, in UTC
    for stamp in stamps:
        if stamp is None:
            local.append(None)
            continue
        try:
            first, second = stamp.replace(tzinfo=zone), stamp.replace(tzinfo=zone, fold=1)
            moment = first.astimezone(UTC)
            if previous is not None and moment < previous:
                moment = max(moment, second.astimezone(UTC))
            previous = moment
            local.append(moment.astimezone().replace(tzinfo=None))
        except (OverflowError, OSError, ValueError):
            local.append(stamp)  # a date at the calendar's ends (or before 1970 on Windows) is shown as written
    return local


def format_moment(moment: datetime | None, locale: QLocale) -> str:
    """ "4 Aug 2025, 12:10" (or the locale's equivalent) in the user's time zone; "—" when unknown."""
    if moment is None:
        return "—"
    stamp = local_moment(moment)
    date_text = locale.toString(stamp.date(), medium_date_format(locale))
    return date_text + _date_time_glue(locale) + locale.toString(stamp.time(), QLocale.FormatType.ShortFormat)


def _date_time_glue(locale: QLocale) -> str:
    """What ``locale`` writes between a date and its time: English's ", " ("Aug 4, 2025, 12:10 PM"), else what
    the locale's own date-and-time format has there (a space in Japanese, Arabic, German...): a Latin comma
    inside "٤ أغسطس ٢٠٢٥, ٣:١٠ م" or after "2025年8月4日" reads as a typo."""
    if locale.language() == QLocale.Language.English:
        return ", "  # CLDR's, which Qt's own formats leave out
    short = QLocale.FormatType.ShortFormat
    both, day, hour = locale.dateTimeFormat(short), locale.dateFormat(short), locale.timeFormat(short)
    if both.startswith(day) and both.endswith(hour) and len(both) > len(day) + len(hour):
        return both[len(day) : len(both) - len(hour)]
    return " "


def widest_moment(locale: QLocale, width_of: Callable[[str], int]) -> str:
    """The widest text :func:`format_moment` gives in ``locale``: its widest month's date with its widest time."""
    pattern = medium_date_format(locale)
    dates = [locale.toString(QDate(2025, month, 28), pattern) for month in range(1, 13)]
    times = [locale.toString(QTime(hour, 59), QLocale.FormatType.ShortFormat) for hour in range(24)]
    return max(dates, key=width_of) + _date_time_glue(locale) + max(times, key=width_of)


def exact_moment(moment: datetime | None, locale: QLocale) -> str:
    """The full local date and time with seconds and zone, for a tooltip behind a short or relative text."""
    if moment is None:
        return ""
    return locale.toString(local_moment(moment), QLocale.FormatType.LongFormat)


def relative_moment(moment: datetime | None, locale: QLocale, now: datetime | None = None) -> str:
    """ "just now", "5 min ago", "2 h ago", "yesterday, 17:05" when recent; else :func:`format_moment`."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    current = now if now is not None else datetime.now(UTC)
    age = current - aware
    # A server clock a little ahead of ours still means "just now"; far in the future is shown as a date.
    if timedelta(minutes=-5) <= age < timedelta(minutes=1):
        return _tr("just now")
    if timedelta(0) < age < timedelta(hours=1):
        return _tr("%n min ago", age // timedelta(minutes=1))
    stamp = local_moment(aware)
    today = local_moment(current).date()
    if timedelta(0) < age < timedelta(hours=12) or (timedelta(0) < age and stamp.date() == today):
        return _tr("%n h ago", age // timedelta(hours=1))
    if stamp.date() == today.addDays(-1):
        return _tr("yesterday, {time}").format(time=locale.toString(stamp.time(), QLocale.FormatType.ShortFormat))
    return format_moment(aware, locale)


def plain_amount(text: str, locale: QLocale | None = None, currency: str = "") -> str | None:
    """An amount typed in any locale's style as a plain decimal ("12.000,50" → "12000.50"), or None when it is
    not one or reads two ways.

    "12000", "12000.5", "12,000.50", "12.000,50", "1.250.000", "12 000,50", "1,20,000" (Indian grouping),
    "0.125" and "12,5" each read one way. "12.000" and "1,250" do not: a thousands separator in one locale, a
    decimal point in another. With the ``locale`` it was typed in they do; without it (a value stored by someone
    else) a wrong amount on screen is worse than the text as typed. The symbol or code of ``currency`` (the
    team's) may stand before or after the number; any other mark ("USD" in a BRL team, "Mio", "/month") makes
    the text no plain amount.

    The plain form uses "." for the decimal point only and never has exactly three digits after it (0.125 is
    written "0.1250", 12.500 is "12.5"), so that it reads as itself again in every locale.
    """
    parts = _without_currency(ascii_number(text.strip()), currency, locale)  # ASCII: what the API reads
    if parts is None:
        return None
    core, marked, foreign = parts
    if foreign:
        # Written with another country's spelling of the currency ("US$ 12.500" from a Brazilian quote in a USD
        # team): its separators are that country's, not the rep's, so "12.500" must not be read as twelve and a
        # half. Only what reads one way in every locale is taken.
        locale = None
    match = _AMOUNT.fullmatch(_GROUP_SPACES.sub("", core))
    if match is None:
        return None
    sign, digits = match.groups()
    groups = re.split(r"[.,]", digits)
    separators = [character for character in digits if character in ".,"]
    if not separators:
        return _finite(sign + digits)
    last = separators[-1]
    if len(groups[-1]) != 3 or any(separator != last for separator in separators[:-1]):
        decimal = last  # a group separator always has three digits after it, and only the decimal can differ
    elif len(separators) > 1:
        decimal = ""  # the same separator more than once: thousands ("1.250.000"), a whole number
    elif groups[0].lstrip("0") != groups[0] or not groups[0]:
        decimal = last  # "0.125", "00,125": no thousands begin with a zero
    elif currency in _NO_DECIMALS:
        decimal = ""  # "￥1,234" to a German rep: a yen has no fraction, so three digits after it are thousands
    elif marked and currency not in _THREE_DECIMALS:
        # "$12,500" from a German rep in a USD team, "US$ 12.000" from a Brazilian quote to a US rep, "€12.500" to
        # a US rep: whoever wrote it, no locale writes a dollar or a euro with three decimals, so these are
        # thousands. (Without a mark the rep's own locale decides, below: "12,500" from a German rep is 12.5.)
        decimal = ""
    elif locale is not None and last == ascii_number(locale.groupSeparator()):  # Arabic's "٬" is the "," read
        decimal = ""  # "12.000" typed by a German rep: twelve thousand
    elif locale is not None and last == ascii_number(locale.decimalPoint()):
        decimal = last  # "12.000" typed by a US rep: twelve
    else:
        return None  # "12.000": twelve thousand, or twelve
    if decimal and separators.count(decimal) > 1:
        return None  # "1,2,3", "1.5.5": a decimal point comes once
    whole, fraction = (groups[:-1], groups[-1]) if decimal else (groups, "")
    grouping = [character for character in separators if character != decimal]
    if grouping and not _grouped(whole):
        return None
    if len(fraction) == 3:
        fraction = fraction.rstrip("0")
        if len(fraction) == 3:
            fraction += "0"  # three digits after a point read as thousands in half the world
    return _finite(f"{sign}{''.join(whole)}" + (f".{fraction}" if fraction else ""))


def _grouped(whole: list[str]) -> bool:
    """Whether digit groups are thousands ("1", "250", "000") or India's lakhs and crores ("1", "20", "000")."""
    if not 1 <= len(whole[0]) <= 3 or len(whole[-1]) != 3:
        return False
    middle = {len(group) for group in whole[1:-1]}
    return middle <= {3} or (middle == {2} and len(whole[0]) <= 2)


def _without_currency(text: str, currency: str, locale: QLocale | None = None) -> tuple[str, bool, bool] | None:
    """``text`` without ``currency``'s symbol or code before or after the number ("R$ 12.000", "12.000 BRL"),
    whether it had one, and whether that was another country's spelling ("US$" for USD to a US rep); None when
    anything else is there ("about 5k", "2,5 Mio €", "USD 5000" in a BRL team). The code, the usual symbol and the
    one the rep's own locale writes the currency with (Canada's "$" for CAD, China's "¥" for CNY) are the rep's
    own."""
    match = _MARKS.fullmatch(text)
    if match is None:
        return None
    lead, number, trail = match.groups()
    allowed = _currency_marks(currency) if currency else frozenset()
    usual = {currency.casefold(), without_marks(currency_symbol(currency)).casefold()} if currency else set()
    if locale is not None and locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode) == currency:
        usual.add(without_marks(locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencySymbol)).casefold())
    marks = [mark for mark in (lead.strip(), trail.strip()) if mark]
    if any(mark.casefold() not in allowed for mark in marks):
        return None
    return number, bool(marks), any(mark.casefold() not in usual for mark in marks)


def _finite(plain: str) -> str | None:
    number = float(plain)
    return plain if math.isfinite(number) else None


#: ISO 4217 currencies without a minor unit, and those with three decimals; every other currency has two.
_NO_DECIMALS = frozenset("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split())
_THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())


#: Significant digits a float (which Qt's locale formatting takes) holds exactly.
_EXACT_DIGITS = 15


def format_currency(raw: str, locale: QLocale, currency: str = "") -> str:
    """``raw`` in ``currency`` (an ISO 4217 code) as ``locale`` writes money ("R$12,000.00" in US English), or
    as a number in the locale's style when no currency is known ("12,000"): the API keeps a bare number, and the
    rep's own currency would show one deal as different amounts in different countries. Text that is not an
    amount read one way is left as is, and digits typed after the point are never rounded away."""
    plain = plain_amount(raw, currency=currency)
    if plain is None:
        return raw
    if len(plain.lstrip("-").replace(".", "").lstrip("0")) > _EXACT_DIGITS:
        return raw  # Qt formats a float: past this many digits it would show others than those stored
    number = float(plain)
    fraction = plain.partition(".")[2]
    typed = len(fraction.rstrip("0"))  # a plain form's fourth digit may be a pad (see plain_amount)
    if not currency:
        return locale.toString(number, "f", max(typed, 2) if fraction else 0)
    usual = 0 if currency in _NO_DECIMALS else 3 if currency in _THREE_DECIMALS else 2
    return locale.toCurrencyString(number, currency_symbol(currency), max(usual, typed))


@functools.cache
def _symbols() -> dict[str, Counter[str]]:
    """Every ISO 4217 code Qt's locales use, with how many of them write it with each symbol."""
    counts: dict[str, Counter[str]] = {}
    for locale in QLocale.matchingLocales(
        QLocale.Language.AnyLanguage, QLocale.Script.AnyScript, QLocale.Country.AnyCountry
    ):
        code = locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencyIsoCode)
        symbol = locale.currencySymbol(QLocale.CurrencySymbolFormat.CurrencySymbol)
        if code:
            counts.setdefault(code, Counter())[symbol or code] += 1
    return counts


@functools.cache
def currencies() -> dict[str, str]:
    """Every ISO 4217 code Qt's locales use, with the symbol most of them write it with ("BRL": "R$"), sorted by
    code; a currency without a symbol of its own is written with its code."""
    counts = _symbols()
    return {code: counts[code].most_common(1)[0][0] for code in sorted(counts)}


@functools.cache
def _currency_marks(code: str) -> frozenset[str]:
    """What an amount in ``code`` may be written with, case folded: its code and every symbol a locale writes it
    with ("USD", "$" and "US$", as Brazil writes dollars; "JPY", "¥" and the full-width "￥")."""
    symbols = {code, currency_symbol(code), *_symbols().get(code, ())}
    return frozenset(without_marks(symbol).casefold() for symbol in symbols)  # Arabic's "ر.س." has a direction mark


def currency_symbol(code: str) -> str:
    """The symbol ``code`` is written with where it is spent ("€" for EUR), or the code itself."""
    return currencies().get(code, code)
