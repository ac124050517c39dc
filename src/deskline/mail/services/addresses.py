"""Desk addresses, plus-addressing and the reply token that ties an answer to its ticket."""

import copy
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db import connection

from deskline.core.emails import normalize_email
from deskline.desks.models import Desk
from deskline.mail.models import AddressesVersion, DeskAddress
from deskline.tickets.models import Ticket

_TOKEN = re.compile(r"^t(\d+)-([0-9a-f]{10})$")


def split_address(email: str) -> tuple[str, str]:
    """'support+t12-ab@x.org' → ('support@x.org', 't12-ab'); tag '' when none."""
    email = normalize_email(email or "")
    local, at, domain = email.rpartition("@")
    if not at:
        return email, ""
    base, plus, tag = local.partition("+")
    return f"{base}@{domain}", tag if plus else ""


def _signature(ticket_id: int, secret: str | None = None) -> str:
    key = f"deskline-mail-reply:{secret or settings.SECRET_KEY}".encode()
    return hmac.new(key, str(ticket_id).encode(), hashlib.sha256).hexdigest()[:10]


def reply_token(ticket: Ticket) -> str:
    return f"t{ticket.pk}-{_signature(ticket.pk)}"


def ticket_id_for_token(tag: str) -> int | None:
    """The ticket a plus-address tag names, when its signature holds (tags are guessable)."""
    match = _TOKEN.match(tag or "")
    if not match:
        return None
    ticket_id = int(match.group(1))
    # Mail sent before a key rotation still carries the old key's signature; it holds
    # while that key is in SECRET_KEY_FALLBACKS, like Django's signed values.
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        if hmac.compare_digest(match.group(2), _signature(ticket_id, secret)):
            return ticket_id
    return None


# Every desk address with its desk, and every desk, as of the token read with them:
# (token, addresses by email, desks by id). Read again when the token differs (any
# process changed a desk or an address); a few rows an install, so all of them, and a
# query or two per mail become reading one short row.
_known: tuple[str, dict[str, DeskAddress], dict[int, Desk]] | None = None


def addresses_changed(**kwargs: object) -> None:
    """Signal receiver (desks and desk addresses saved or deleted): a new token, in the
    change's own transaction, so every process reads the addresses again once it commits."""
    token = uuid.uuid4().hex
    if not AddressesVersion.objects.filter(pk=1).update(token=token):
        AddressesVersion.objects.update_or_create(pk=1, defaults={"token": token})


# Plain SQL: this runs for every mail, and building it with the ORM costs more than the read.
_TOKEN_SQL = "SELECT token FROM mail_addressesversion WHERE id = 1"


def _token() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(_TOKEN_SQL)
        row = cursor.fetchone()
    return row[0] if row else None


def cache_token() -> str | None:
    """The desk addresses' change token now: equal to the one a lookup returned
    (desk_addresses_token_and_desk) as long as no desk and no address changed since."""
    return _token()


def _cached() -> tuple[str, dict[str, DeskAddress], dict[int, Desk]] | None:
    """The cache, read again if the token changed; None when there is no token (the
    row was removed, e.g. a test database flushed): then nothing is cached."""
    global _known
    token = _token()
    if token is None:
        return None
    known = _known
    if known is None or known[0] != token:
        # Read after the token: the rows are at least as new as the token they are
        # kept under, so a change committed in between only causes one more read.
        # The addresses with their desks in one statement (consistent even where each
        # statement sees the latest commit, as PostgreSQL's READ COMMITTED does).
        found = {a.email: a for a in DeskAddress.objects.select_related("desk")}
        known = (token, found, {d.pk: d for d in Desk.objects.all()})
        _known = known
    return known


def _all_addresses() -> dict[str, DeskAddress] | None:
    """Every desk address by email (cached per process), or None (see _cached)."""
    known = _cached()
    return None if known is None else known[1]


def cached_desk(desk_id: int | None) -> Desk | None:
    """The desk with this id as the database holds it now, without a query once the
    process has read the desks; None when it is not known (read it then)."""
    return _desk_in(_cached(), desk_id)


def _desk_in(known: tuple | None, desk_id: int | None) -> Desk | None:
    desk = None if known is None or desk_id is None else known[2].get(desk_id)
    return None if desk is None else copy.copy(desk)


def _copy(address: DeskAddress) -> DeskAddress:
    # Callers get their own instances: the cached ones are shared by every mail.
    clone = copy.copy(address)
    clone.desk = copy.copy(address.desk)
    return clone


def desk_addresses(emails: Iterable[str]) -> dict[str, DeskAddress]:
    """The desk addresses among these emails (plus tags ignored), with their desks, by
    address: one lookup answers every desk-address question about one mail."""
    return desk_addresses_and_desk(emails, None)[0]


def desk_addresses_and_desk(
    emails: Iterable[str], desk_id: int | None
) -> tuple[dict[str, DeskAddress], Desk | None]:
    """desk_addresses(emails), and cached_desk(desk_id), from one read of the token.

    No emails, no lookup: the desk is None too (mail without a sender or a recipient
    never opens a ticket, so it needs no desk)."""
    bases = {split_address(e)[0] for e in emails if e}
    if not bases:
        return {}, None
    return _addresses_and_desk(bases, desk_id, _cached())


def desk_addresses_token_and_desk(
    emails: Iterable[str], desk_id: int | None
) -> tuple[str | None, dict[str, DeskAddress], Desk | None]:
    """desk_addresses_and_desk(), with the change token they were read under (None when
    nothing is cached): while cache_token() still returns it, they are still right."""
    cached = _cached()
    bases = {split_address(e)[0] for e in emails if e}
    if not bases:
        return (None if cached is None else cached[0]), {}, None
    known, desk = _addresses_and_desk(bases, desk_id, cached)
    return (None if cached is None else cached[0]), known, desk


def _addresses_and_desk(
    bases: set[str], desk_id: int | None, cached: tuple | None
) -> tuple[dict[str, DeskAddress], Desk | None]:
    if cached is None:
        found = DeskAddress.objects.select_related("desk").filter(email__in=bases)
        return {a.email: a for a in found}, None
    known = cached[1]
    return {base: _copy(known[base]) for base in bases if base in known}, _desk_in(cached, desk_id)


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
    base = split_address(email)[0]
    known = _all_addresses()
    if known is None:
        return DeskAddress.objects.filter(email=base).exists()
    return base in known


def is_desk_address(email: str) -> bool:
    return bool(email) and is_known_recipient(email)


def sending_address(desk: Desk) -> DeskAddress | None:
    """The From of a desk's mail: its primary address, else its first."""
    known = _all_addresses()
    if known is None:
        return DeskAddress.objects.filter(desk=desk).order_by("-primary", "id").first()
    own = [a for a in known.values() if a.desk_id == desk.pk]
    return _copy(min(own, key=lambda a: (not a.primary, a.pk))) if own else None


def reply_to_for(ticket: Ticket, address: DeskAddress) -> str:
    local, _, domain = address.email.partition("@")
    return f"{local}+{reply_token(ticket)}@{domain}"
