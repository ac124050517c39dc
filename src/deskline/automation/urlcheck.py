"""Where webhooks may connect: public addresses only, unless the install allows more.

Checked when a webhook is saved and again at each delivery, on the addresses the name
resolves to then; the delivery connects to the address that was checked, so a name
that re-resolves to an inside address between check and connect (DNS rebinding) does
not get through.

DESKLINE_WEBHOOK_ALLOW_PRIVATE=true allows every address (a lab, the tests);
DESKLINE_WEBHOOK_ALLOWED_HOSTS=host1,10.0.0.0/8 allows those host names and networks.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from deskline.conf import env_bool, env_list
from deskline.core.errors import lazy_message


class RefusedURL(Exception):
    pass


def allow_private() -> bool:
    configured = getattr(settings, "DESKLINE_WEBHOOK_ALLOW_PRIVATE", None)
    if configured is not None:
        return bool(configured)
    return env_bool("DESKLINE_WEBHOOK_ALLOW_PRIVATE", False)


def allowed_hosts() -> list[str]:
    configured = getattr(settings, "DESKLINE_WEBHOOK_ALLOWED_HOSTS", None)
    if configured is not None:
        return list(configured)
    return env_list("DESKLINE_WEBHOOK_ALLOWED_HOSTS", [])


Address = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _carried(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 one leads to: mapped, NAT64 and 6to4 gateways and Teredo
    reach them, so an inside IPv4 address must not pass in IPv6 dress."""
    carried = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
    if address in NAT64:
        carried.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [inner for inner in carried if inner is not None]


def _is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and not all(
        _is_public(inner) for inner in _carried(address)
    ):
        return False
    # is_global, not just "not private": shared address space (100.64.0.0/10, inside
    # providers' networks, where one cloud's metadata service answers) is neither.
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
    )


def _allowed_by_list(host: str, address: Address) -> bool:
    for entry in allowed_hosts():
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def resolve(url: str) -> tuple[str, int, str, str]:
    """(scheme, port, host, checked address) of a URL a webhook may call."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedURL(_("only http and https URLs with a host"))
    if parts.username or parts.password:
        raise RefusedURL(_("no user or password in the URL; use the signing secret"))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise RefusedURL(
            lazy_message(_("cannot resolve %(host)s: %(error)s"), host=parts.hostname, error=exc)
        ) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise RefusedURL(lazy_message(_("%(host)s has no address"), host=parts.hostname))
    if not allow_private():
        for address in addresses:
            if not _is_public(address) and not _allowed_by_list(parts.hostname, address):
                raise RefusedURL(
                    lazy_message(
                        _(
                            "%(host)s resolves to %(address)s, a private or local address; "
                            "allow it with DESKLINE_WEBHOOK_ALLOWED_HOSTS"
                        ),
                        host=parts.hostname,
                        address=address,
                    )
                )
    return parts.scheme, port, parts.hostname, str(addresses[0])


def check_url(url: str, field: str = "url") -> str:
    try:
        resolve(url)
    except RefusedURL as exc:
        raise ValidationError({field: str(exc)}) from None
    return url
