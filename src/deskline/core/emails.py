"""Email addresses as Deskline keeps, checks and sends them.

Internationalized domains (RFC 5890) reach us in Unicode (SMTPUTF8 mail, typed in a
form) or in their ASCII "xn--" form (older mail clients, DNS tools): both are kept in
Unicode, so one mailbox is one requester whichever form its mail used. Local parts may
be Unicode too (RFC 6531). Mail goes out with the domain in ASCII form, so a server
without SMTPUTF8 takes it; only a Unicode local part needs SMTPUTF8.
"""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

# Full stops that IDNA treats as label separators (RFC 3490, 3.1).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


def _unicode_label(label: str) -> str:
    """An "xn--" label decoded; left as it is when it is no valid encoding of a Unicode
    label ("xn--abc-" would decode to "abc", another domain)."""
    if not label.startswith("xn--"):
        return label
    try:
        decoded = label[4:].encode("ascii").decode("punycode")
        again = "xn--" + decoded.encode("punycode").decode("ascii")
    except (UnicodeError, ValueError, IndexError):
        return label
    return decoded if again == label and not decoded.isascii() else label


def normalize_email(email: str) -> str:
    """The one form an address is stored and compared in: trimmed, lower case, the
    domain's "xn--" labels in Unicode, Unicode in NFC (one encoding of "ü")."""
    email = email.strip().lower()
    if email.isascii() and "xn--" not in email:
        return email  # nearly every address: nothing more to do
    local, at, domain = email.rpartition("@")
    if not at:
        return unicodedata.normalize("NFC", email)
    return unicodedata.normalize("NFC", local) + "@" + normalize_domain(domain)


def normalize_domain(domain: str) -> str:
    """A domain as normalize_email leaves it."""
    domain = domain.strip().lower()
    if domain.isascii() and "xn--" not in domain:
        return domain
    labels = domain.translate(_DOTS).split(".")
    decoded = ".".join(_unicode_label(label) for label in labels).lower()
    return unicodedata.normalize("NFC", decoded)


def ascii_domain(domain: str) -> str:
    """A domain with its Unicode labels in "xn--" form (what DNS and SMTP without
    SMTPUTF8 take). Plain Punycode of the already normalized label: IDNA 2003's
    nameprep (Python's "idna" codec) would turn "ß" into "ss", another domain."""
    if domain.isascii():
        return domain
    return ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in domain.translate(_DOTS).split(".")
    )


def sendable_email(email: str) -> str:
    """The address with its domain in ASCII form; its local part as it is."""
    local, at, domain = email.rpartition("@")
    return f"{local}@{ascii_domain(domain)}" if at else email


def needs_smtputf8(email: str) -> bool:
    """Only a Unicode local part: the domain can always be written in ASCII."""
    return not email.rpartition("@")[0].isascii()


def check_email(email: str) -> None:
    """Django's address check, made to accept what RFC 6531 adds: Unicode local parts
    and IDN domains in either form. Raises ValidationError."""
    if not email.isascii():
        # RFC 6531 lets any non-ASCII character stand in a local part as it is; not
        # spaces, controls or lone surrogates (bytes that were no UTF-8).
        if any(unicodedata.category(c)[0] in "ZC" for c in email if not c.isascii()):
            raise ValidationError(_("Enter a valid email address."), code="invalid")
        local, at, domain = email.rpartition("@")
        email = "".join(c if c.isascii() else "a" for c in local) + at + ascii_domain(domain)
    validate_email(email)
