"""Organizations' mail domains: checked as host names and stored one way, lowercase ASCII.

Intake puts a first-time requester in the organization that lists their address's
domain, and an organization may share its tickets among its members: a domain that is
no host name matches nothing (a silent mistake), and a free mail provider's domain
would put strangers in one organization, reading each other's requests. Both are
refused, naming the field.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deskline.core.errors import lazy_message

# One label of a host name in ASCII: letters, digits, hyphens inside, 1-63 characters.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Mail providers anyone may have an address at (the largest in the languages Deskline
# speaks); an organization is a company or a school, not their customers.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "live.com",
        "msn.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "foxmail.com",
        "163.com",
        "126.com",
        "yeah.net",
        "sina.com",
        "sohu.com",
        "aliyun.com",
    }
)


def to_ascii(domain: str) -> str | None:
    """A domain as stored and compared: lowercase, in ASCII (IDNA, Python's codec, as on
    both sides of every comparison); None when it is no host name."""
    text = domain.strip().rstrip(".").lower()
    try:
        ascii_name = text.encode("idna").decode("ascii")
        ascii_name.encode("ascii").decode("idna")  # an "xn--" label must be real punycode
    except UnicodeError:
        return None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return ascii_name


def clean_domains(domains: list[str], *, field: str = "domains") -> list[str]:
    """The organization's domains, each as to_ascii gives it, sorted and without repeats
    or blanks; ValidationError naming the field for the first one refused."""
    cleaned = set()
    for given in domains:
        text = given.strip().lstrip("@")
        if not text:
            continue
        name = to_ascii(text)
        if name is None or "." not in name or name.rsplit(".", 1)[1].isdigit():
            raise ValidationError(
                {
                    field: lazy_message(
                        _("%(given)r is not a mail domain (a host name such as example.com)"),
                        given=given,
                    )
                }
            )
        if name in FREE_MAIL_DOMAINS:
            raise ValidationError(
                {
                    field: lazy_message(
                        _(
                            "%(given)r is a free mail provider's domain: its users are no one "
                            "organization; add them to it one by one"
                        ),
                        given=given,
                    )
                }
            )
        cleaned.add(name)
    return sorted(cleaned)
