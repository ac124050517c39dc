"""Desk addresses, plus-addressing and the reply token that ties an answer to its ticket."""

import hashlib
import hmac
import re
from collections.abc import Iterable

from django.conf import settings

from deskline.desks.models import Desk
from deskline.mail.models import DeskAddress
from deskline.tickets.models import Ticket

_TOKEN = re.compile(r"^t(\d+)-([0-9a-f]{10})$")


def split_address(email: str) -> tuple[str, str]:
    """'support+t12-ab@x.org' → ('support@x.org', 't12-ab'); tag '' when none."""
    email = (email or "").strip().lower()
    local, at, domain = email.rpartition("@")
    if not at:
        return email, ""
    base, plus, tag = local.partition("+")
    return f"{base}@{domain}", tag if plus else ""


def _signature(ticket_id: int) -> str:
    key = f"deskline-mail-reply:{settings.SECRET_KEY}".encode()
    return hmac.new(key, str(ticket_id).encode(), hashlib.sha256).hexdigest()[:10]


def reply_token(ticket: Ticket) -> str:
    return f"t{ticket.pk}-{_signature(ticket.pk)}"


def ticket_id_for_token(tag: str) -> int | None:
    """The ticket a plus-address tag names, when its signature holds (tags are guessable)."""
    match = _TOKEN.match(tag or "")
    if not match or not hmac.compare_digest(match.group(2), _signature(int(match.group(1)))):
        return None
    return int(match.group(1))


def desk_addresses(emails: Iterable[str]) -> dict[str, DeskAddress]:
    """The desk addresses among these emails (plus tags ignored), with their desks, by
    address: one query answers every desk-address question about one mail."""
    bases = {split_address(e)[0] for e in emails if e}
    if not bases:
        return {}
    return {a.email: a for a in DeskAddress.objects.select_related("desk").filter(email__in=bases)}


def find_desk_address(
    emails: Iterable[str], known: dict[str, DeskAddress] | None = None
) -> DeskAddress | None:
    """The first of these recipients that is a desk address (plus tags ignored).

    `known` is desk_addresses() of a superset of these emails, already read.
    """
    bases = [split_address(e)[0] for e in emails if e]
    if not bases:
        return None
    found = desk_addresses(bases) if known is None else known
    return next((found[b] for b in bases if b in found), None)


def is_known_recipient(email: str) -> bool:
    return DeskAddress.objects.filter(email=split_address(email)[0]).exists()


def is_desk_address(email: str) -> bool:
    return bool(email) and is_known_recipient(email)


def sending_address(desk: Desk) -> DeskAddress | None:
    """The From of a desk's mail: its primary address, else its first."""
    return DeskAddress.objects.filter(desk=desk).order_by("-primary", "id").first()


def reply_to_for(ticket: Ticket, address: DeskAddress) -> str:
    local, _, domain = address.email.partition("@")
    return f"{local}+{reply_token(ticket)}@{domain}"
