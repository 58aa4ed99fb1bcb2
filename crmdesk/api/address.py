"""Checks on what the client is given, the server address and the token, without importing httpx or the models.

The desktop app validates both when a session starts, before its window shows; the client, its models and
httpx load afterwards. :class:`crmdesk.api.client.ContactApi` applies the same checks.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from crmdesk import contract

if TYPE_CHECKING:
    import httpx

#: The vendor's API, for a profile that names no other server.
DEFAULT_BASE_URL: Final = "https://contact-api.8mgenius.com.br"


def check_base_url(base_url: str) -> httpx.URL:
    """The parsed base URL; refuses anything but https, or plain http to a loopback host."""
    import httpx

    try:
        url = httpx.URL(base_url)
        host = url.host  # decoding an international name can fail only here
    except UnicodeError:  # idna's errors ("Malformed A-label...") speak of Punycode, not of the address
        raise ValueError(f"Not a valid server address: {base_url!r} (its host name is not valid)") from None
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise ValueError(f"Not a valid server address: {base_url!r} ({exc})") from None
    if "%" in host and ":" in host:
        # An IPv6 address with a zone ("[fe80::1%eth0]"): a link-local address, which httpx cannot connect to.
        raise ValueError(
            f"Not a valid server address: {base_url!r} (an IPv6 address with a zone (%) cannot be used: give the "
            "server's name, or an address that is not link-local)"
        )
    if "%" in host:  # httpx escapes what no host name holds ("crm example.com" became "crm%20example.com")
        raise ValueError(f"Not a valid server address: {base_url!r} (a host name has no spaces or symbols)")
    _refuse_insecure(base_url, url.scheme, host)
    _check_port(base_url, url.port)
    if url.userinfo:
        # httpx would send these as Basic authentication in place of the token, and show them wherever the
        # address is shown.
        raise ValueError("Leave the user name and password out of the server address: the API token signs in.")
    if url.query or url.fragment:
        raise ValueError(f"Not a valid server address: {base_url!r} (leave out what follows ? or #)")
    _check_path(url.path)
    return url


def _check_path(path: str) -> None:
    """Refuse the endpoint's own path: the client adds /api/contact, so a pasted endpoint URL would double it."""
    if "//" in path:
        raise ValueError("Not a valid server address: its path has an empty part (//).")
    # Also an endpoint's whole URL pasted from the reference ("/api/contact/note/add"): accepted, every lookup was a
    # 404 of the route, which the app took for contacts deleted (and dropped them from Recent).
    if re.search(r"/api(?:/contacts?(?:/.*)?)?/*$", path, re.IGNORECASE):
        raise ValueError(
            "Leave /api and what follows out of the server address: CRMDesk adds them "
            "(for example https://contact-api.8mgenius.com.br)."
        )


def _check_port(base_url: str, port: int | None) -> None:
    # httpx takes any number of digits; the request would then fail deep inside the connection code.
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"Not a valid server address: {base_url!r} (the port must be 1 to 65535, not {port})")


def _refuse_insecure(base_url: str, scheme: str, host: str) -> None:
    if scheme not in ("http", "https") or not host:
        meant = _with_scheme(base_url)
        if meant is not None:
            raise ValueError(
                "The server address must start with https://, or http:// for a server on this computer. "
                f"Did you mean {meant}?"
            )
        raise ValueError(f"The server address must start with https:// (got {base_url!r}).")
    if scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"Refusing plain http:// to {host}: the API token would travel unencrypted. "
            "Use https://, or http:// only for a server on this computer (localhost, 127.0.0.1, ::1)."
        )


def _with_scheme(base_url: str) -> str | None:
    """``base_url`` with the scheme its host takes (http:// for this computer, https:// otherwise), when the
    scheme was simply left out ("127.0.0.1:8000", "crm.example.com") and the result is an address these checks
    accept; None for a mistyped scheme ("http:/…", "https:crm…") or text that is no address."""
    text = base_url.strip()
    if not text or "://" in text or text.startswith("/") or text.lower().startswith(("http:", "https:", "http/")):
        return None
    host = text.split("/", 1)[0]
    name = host[: host.index("]") + 1] if host.startswith("[") and "]" in host else host.split(":", 1)[0]
    meant = ("http://" if _is_loopback(name) else "https://") + text
    try:
        normalised_base_url(meant)
    except ValueError:
        return None
    return meant


# The everyday shape of a base URL: lower-case scheme, an ASCII host name or IP literal, a port, and a path of
# unreserved characters only. For these, httpx.URL's normalisation is simple to state (host lower-cased, the
# scheme's default port dropped, nothing else changes); tests/api/test_base_url.py checks it against httpx.URL.
_SIMPLE_BASE_URL: Final = re.compile(
    r"(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/[A-Za-z0-9._~-]*)*)",
    re.ASCII,
)
_IPV4_STYLE: Final = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+", re.ASCII)
_DEFAULT_PORTS: Final[Mapping[str, int]] = {"http": 80, "https": 443}


def _simple_base_url(base_url: str) -> tuple[str, str, str, int | None, str] | None:
    """``(str(httpx.URL(base_url)), scheme, host, port, path)`` for an everyday address, without importing httpx.

    ``None`` when the address is anything else (an unusual form, or one httpx would refuse); the caller then
    asks httpx itself, so every address still gets exactly httpx's reading and error message.
    """
    if not isinstance(base_url, str):
        return None
    match = _SIMPLE_BASE_URL.fullmatch(base_url)
    if match is None:
        return None
    scheme, host, port, path = match.group("scheme", "host", "port", "path")
    if any(segment in (".", "..") for segment in path.split("/")):
        return None  # httpx removes dot segments
    if "xn--" in host.lower():
        return None  # an international name: httpx (idna) checks and normalises it
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return None
        host = host[1:-1]  # httpx keeps an IPv6 literal's case
        netloc = f"[{host}]"
    else:
        if _IPV4_STYLE.fullmatch(host):
            try:
                ipaddress.IPv4Address(host)
            except ValueError:
                return None
        host = host.lower()
        netloc = host
    if port is not None and int(port) != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{int(port)}"
    return f"{scheme}://{netloc}{path}", scheme, host, None if port is None else int(port), path


def normalised_base_url(base_url: str) -> str:
    """``str(check_base_url(base_url))``: the same checks, messages and normal form, without httpx when it can.

    The app builds its ContactApi before the window shows, and importing httpx there cost ~50 ms of start-up.
    """
    simple = _simple_base_url(base_url)
    if simple is None:
        return str(check_base_url(base_url))
    text, scheme, host, port, path = simple
    _refuse_insecure(base_url, scheme, host)
    _check_port(base_url, port)
    _check_path(path)
    return text


def same_server(base_url: str, other: str) -> bool:
    """Whether two base URLs name one server once normalised (False if either is refused)."""
    try:
        return normalised_base_url(base_url).rstrip("/") == normalised_base_url(other).rstrip("/")
    except ValueError:
        return False


def is_loopback_url(base_url: str) -> bool:
    """Whether a base URL that :func:`normalised_base_url` accepted names this computer."""
    return _is_loopback(urlsplit(base_url).hostname or "")


def _is_loopback(host: str) -> bool:
    """A loopback IP literal, or "localhost", which every hosts file names. Not "localhost.": glibc looks that
    up as written, and where the hosts file lacks it, DNS answers, which may send the token anywhere."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_token(token: str) -> str:
    """``token`` without surrounding blanks; ValueError, which never quotes it, when it cannot be a token."""
    # An illegal header value makes h11 raise an error that quotes the value, i.e. the token; refuse it
    # here with a message that does not.
    if not isinstance(token, str) or not token.strip():
        raise ValueError("The API token is empty.")
    token = token.strip()
    if not contract.is_bearer_token(token):
        raise ValueError("The API token contains spaces or characters a token cannot have; paste it again.")
    return token
