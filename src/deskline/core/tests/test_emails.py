"""Addresses in the one form they are stored in, checked as RFC 6531 allows, and written
for servers with and without SMTPUTF8."""

import pytest
from django.core.exceptions import ValidationError

from deskline.core.emails import check_email, needs_smtputf8, normalize_email, sendable_email


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (" Sam@Example.COM ", "sam@example.com"),
        ("Jana@XN--BCHER-KVA.example", "jana@bücher.example"),
        ("jana@BÜCHER.example", "jana@bücher.example"),
        ("jana@bu\u0308cher.example", "jana@bücher.example"),  # "ü" as u + combining mark
        ("jana@bücher\u3002example", "jana@bücher.example"),  # an ideographic full stop
        ("x@straße.de", "x@straße.de"),  # not "strasse" (IDNA 2003 would map it)
        ("x@xn--strae-oqa.de", "x@straße.de"),
        ("x@xn--abc-.example", "x@xn--abc-.example"),  # decodes to plain "abc": kept
        ("x@xn--zz!!.example", "x@xn--zz!!.example"),  # no Punycode at all: kept
    ],
)
def test_one_stored_form(given, stored):
    assert normalize_email(given) == stored


def test_sendable_form_has_the_domain_in_ascii():
    assert sendable_email("jana@bücher.example") == "jana@xn--bcher-kva.example"
    assert sendable_email("x@straße.de") == "x@xn--strae-oqa.de"
    assert not needs_smtputf8("jana@bücher.example") and needs_smtputf8("jörg@example.com")


@pytest.mark.parametrize(
    "email", ["jörg@bücher.example", "用户@例子.广告", "jana@xn--bcher-kva.example", "a@b.example"]
)
def test_accepted(email):
    check_email(email)


@pytest.mark.parametrize(
    "email",
    [
        "jö rg@example.com",
        "jö\u00a0rg@example.com",  # a no-break space
        "j\udcffrg@example.com",  # a byte that was no UTF-8
        "jörg@",
        "jörg",
        "jörg@exa mple.com",
        "x@xn--abc-.example",
    ],
)
def test_refused(email):
    with pytest.raises(ValidationError):
        check_email(email)
