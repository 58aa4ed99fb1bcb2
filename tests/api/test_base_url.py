"""The client reads a base URL exactly as httpx.URL does, without importing httpx for everyday addresses.

``ContactApi`` is built before the app's window shows, so it checks the address with a small parser of its own
and leaves httpx to the first request. These tests hold that parser to httpx's reading: for any address, the
normal form (``ContactApi.base_url``), the refusal and its message are those of :func:`check_base_url`.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import sys

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crmdesk.api.address import _simple_base_url, check_base_url, normalised_base_url


def _reference(base_url: str) -> str:
    """What the client said before it had its own parser: httpx.URL's reading, or the refusal's message."""
    try:
        return str(check_base_url(base_url))
    except ValueError as exc:
        return f"ValueError: {exc}"


def _light(base_url: str) -> str:
    try:
        return normalised_base_url(base_url)
    except ValueError as exc:
        return f"ValueError: {exc}"


EVERYDAY = [
    "https://contact-api.8mgenius.com.br",
    "https://contact-api.8mgenius.com.br/",
    "https://Contact-API.8mgenius.COM.br/v1/",
    "https://api.test:443",
    "https://api.test:0443/x",
    "https://api.test:8443/",
    "http://127.0.0.1:8765",
    "http://127.0.0.1:080",
    "http://127.1.2.3",
    "http://localhost:9000",
    "http://LOCALHOST.:9000/api",
    "http://[::1]:9000",
    "http://[::FFFF:127.0.0.1]",
    "http://example.com",
    "http://10.0.0.1:8000",
    "http://127.evil.com",
    "http://999.0.0.1",
    "http://[::1",
    "http://[zz::1]",
    "https://a.test/./b",
    "https://a.test/a/../b",
    "https://a.test/a//b",
    "https://a.test:99999",
    "https://a.test/?q=1",
    "https://user@a.test",
    "HTTPS://A.test:443/x",
    "ftp://127.0.0.1",
    "not a url",
    " https://a.test",
    "https://",
    "https://bücher.example",
]


@pytest.mark.parametrize("base_url", EVERYDAY)
def test_the_light_reading_is_httpx_s_reading(base_url: str) -> None:
    assert _light(base_url) == _reference(base_url)


def test_everyday_addresses_take_the_light_path() -> None:
    # Otherwise the start-up saving is lost without any test noticing.
    for base_url in ("https://contact-api.8mgenius.com.br", "http://127.0.0.1:8765", "http://[::1]:9000"):
        assert _simple_base_url(base_url) is not None


_URL_ALPHABET = "abcAB019.-_~:/[]@?#%! ü"


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
    host=st.one_of(
        st.text(alphabet="aZ09.-", max_size=12),
        st.sampled_from(
            [
                "127.0.0.1",
                "localhost",
                "[::1]",
                "[::ffff:7f00:1]",
                "256.1.1.1",
                "[1::2::3]",
                "xn--",
                "xn--bcher-kva.test",
            ]
        ),
    ),
    port=st.one_of(st.just(""), st.integers(0, 100_000).map(lambda p: f":{p}"), st.just(":")),
    path=st.text(alphabet=_URL_ALPHABET, max_size=16),
)
@example(scheme="http", host="127.0.0.1", port=":80", path="/")
@example(scheme="https", host="a", port=":443", path="/./")
def test_any_address_reads_as_httpx_reads_it(scheme: str, host: str, port: str, path: str) -> None:
    base_url = f"{scheme}://{host}{port}{path}" if scheme else f"{host}{port}{path}"
    assert _light(base_url) == _reference(base_url)


@pytest.mark.parametrize(
    ("base_url", "reason"),
    [
        ("http://127.0.0.1:99999", "the port must be 1 to 65535, not 99999"),
        ("https://api.test:0/", "the port must be 1 to 65535, not 0"),
        ("https://xn--", "its host name is not valid"),
    ],
)
def test_an_impossible_port_or_host_name_is_refused_with_its_reason(base_url: str, reason: str) -> None:
    # Both used to pass, and the first request then failed inside the connection code with an internal error.
    for check in (normalised_base_url, check_base_url):
        with pytest.raises(ValueError) as refused:
            check(base_url)
        assert str(refused.value) == f"Not a valid server address: {base_url!r} ({reason})"


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("https://contact-api.8mgenius.com.br/api/contact", "Leave /api and what follows out"),
        ("http://127.0.0.1:8000/api/", "Leave /api and what follows out"),
        ("https://crm.example/API/Contact/", "Leave /api and what follows out"),
        # An endpoint's whole URL, pasted from the API reference.
        ("https://contact-api.8mgenius.com.br/api/contact/note/add", "Leave /api and what follows out"),
        ("http://127.0.0.1:8000/api/contact/tag/add/", "Leave /api and what follows out"),
        ("https://crm.example/api/contacts", "Leave /api and what follows out"),
        ("http://rep:s3cret@127.0.0.1:8000", "Leave the user name and password out"),
        ("https://rep@crm.example", "Leave the user name and password out"),
        ("https://crm.example/?uid=ABCD1234", "leave out what follows ? or #"),
        ("https://crm.example/#top", "leave out what follows ? or #"),
        ("http://localhost:8000//", "empty part"),
    ],
)
def test_an_address_the_requests_would_go_wrong_with_is_refused(base_url: str, says: str) -> None:
    # A pasted endpoint URL doubles /api/contact (every lookup then finds nothing); a user name and password
    # would be sent as Basic authentication in place of the token, and shown wherever the address is.
    for check in (normalised_base_url, check_base_url):
        with pytest.raises(ValueError, match=re.escape(says)):
            check(base_url)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("127.0.0.1:18765", "http://127.0.0.1:18765"),  # the bundled server, run on this computer
        ("localhost:8000/crm", "http://localhost:8000/crm"),
        ("[::1]:9000", "http://[::1]:9000"),
        ("crm.example.com", "https://crm.example.com"),
        ("10.0.0.5:8000", "https://10.0.0.5:8000"),  # another computer: never plain http
    ],
)
def test_an_address_without_its_scheme_is_refused_with_the_one_it_takes(typed: str, meant: str) -> None:
    """Typed as "127.0.0.1:18765", it was told to start with https://, which the bundled server does not speak; on
    that advice, the rep then got "Cannot reach"."""
    for check in (normalised_base_url, check_base_url):
        with pytest.raises(ValueError, match=re.escape(f"Did you mean {meant}?")):
            check(typed)
    assert normalised_base_url(meant)  # which is accepted


@pytest.mark.parametrize(
    "typed",
    [
        "http:/localhost:8000",  # a mistyped scheme: "https://http:/localhost:8000" was suggested
        "http//localhost:8000",
        "https:crm.example.com",
        "//localhost:8000",
        "hello world",
        "user@localhost:8000",  # refused anyway: no user name in the address
        "127.0.0.1:99999",  # no such port
        "localhost:8000/api/contact",  # refused anyway: /api is added by the app
    ],
)
def test_no_address_is_suggested_that_is_mistyped_or_would_be_refused(typed: str) -> None:
    for check in (normalised_base_url, check_base_url):
        with pytest.raises(ValueError) as refused:
            check(typed)
        assert "Did you mean" not in str(refused.value)


def test_a_host_name_with_a_space_is_refused_not_escaped() -> None:
    """httpx wrote "crm example.com" as "crm%20example.com", which the app then tried to reach."""
    for check in (normalised_base_url, check_base_url):
        with pytest.raises(ValueError, match="a host name has no spaces or symbols"):
            check("https://crm example.com")


@pytest.mark.parametrize("typed", ["http://[fe80::1%25eth0]:8080", "https://[fe80::1%eth0]"])
def test_an_ipv6_address_with_a_zone_is_refused_for_what_it_is(typed: str) -> None:
    for check in (normalised_base_url, check_base_url):
        with pytest.raises(ValueError, match=r"an IPv6 address with a zone \(%\) cannot be used"):
            check(typed)


@pytest.mark.parametrize(
    "base_url",
    ["https://crm.example/apis", "https://crm.example/crm/", "http://[::1]:8000/x", "https://crm.example/api-gw"],
)
def test_a_server_under_a_path_of_its_own_is_accepted(base_url: str) -> None:
    assert normalised_base_url(base_url) == str(check_base_url(base_url))


def test_building_a_client_does_not_import_httpx() -> None:
    # The app's cold start depends on it: httpx loads with the first request, after the window shows.
    code = (
        "import sys\n"
        "from crmdesk.api import ContactApi\n"
        "api = ContactApi('http://127.0.0.1:8765', 'tok_x')\n"
        "api = ContactApi('https://contact-api.8mgenius.com.br', 'tok_x', timeout=5)\n"
        "assert 'httpx' not in sys.modules, 'httpx was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_a_timeout_object_is_still_accepted() -> None:
    from crmdesk.api import ContactApi

    ContactApi("https://api.test", "tok_x", timeout=httpx.Timeout(3.0, connect=1.0))
    ContactApi("https://api.test", "tok_x", timeout=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ContactApi("https://api.test", "tok_x", timeout=httpx.Timeout(connect=1.0))


def test_plain_http_to_this_computer_loads_no_ca_bundle_but_still_verifies() -> None:
    from crmdesk.api import ContactApi

    context = ContactApi("http://127.0.0.1:8765", "tok_x")._tls()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0  # trusts nobody: a TLS peer could never be verified


def test_https_gets_httpx_s_default_verification() -> None:
    from crmdesk.api import ContactApi

    api = ContactApi("https://contact-api.8mgenius.com.br", "tok_x")
    api.preload()
    context = api._tls()
    default = httpx.create_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == default.cert_store_stats()["x509_ca"] > 0
