"""Whether a mail's From is its sender's: the verdict of our own boundary mail server.

Anyone can write any From. The mail server that received the mail from the internet
checks SPF, DKIM and DMARC and records what it found in an Authentication-Results
header (RFC 8601) naming itself (its authserv-id). Only such a header is believed:
DESKLINE_MAIL_AUTHSERV_ID lists the ids of our own servers, and any other header,
which the sender could have written, is ignored.

Which headers: from the topmost one with a listed id, it and the further listed ones
below it, up to the next Received header (the trace line of the hop before, above
which a sender cannot write). The boundary server must remove, or rename, headers
that arrive already claiming its id (RFC 8601 section 5): one in the sender's own
headers, with no hop between, would otherwise read as the server's.

Verified when DMARC passed for the From domain (every DMARC result of those headers
passes); with no DMARC result, when SPF passed for the From domain (or a subdomain
of it: the envelope sender's) or DKIM passed with a signing domain that is the From
domain or a subdomain of it. Not verified otherwise: a failure, none, no listed
header at all. The intake then joins the mail to a ticket only by what a forger
cannot know (our Message-IDs, the signed reply address), never by the From address
alone (services.threads, services.handling; triage.services.merging); and a ticket
such a mail opened is joined by those proofs only, whoever writes.
"""

from collections.abc import Iterator
from typing import Any, TypedDict

from deskline.mail.config import trusted_authserv_ids
from deskline.mail.parsing import authresults
from deskline.tickets.models import Message, Ticket

# Headers read at most, and Authentication-Results parsed at most, per mail: a mail
# with thousands of them costs no more than a normal one.
_MAX_HEADERS = 1000
_MAX_RESULTS = 20
# The source_headers key the verdict is kept under on a ticket message.
KEY = "sender_auth"


class Verdict(TypedDict):
    verified: bool
    # What the verdict rests on: "dmarc", "spf", "dkim", or "" (no listed header).
    method: str
    # That method's result ("pass", "fail", "softfail", "none"…), "unaligned" when it
    # passed for another domain than From's; "none" with method "" when no listed
    # header gave a DMARC, SPF or DKIM result.
    result: str
    authserv_id: str


def _domain(value: str) -> str:
    """The domain of an address or domain, lower case, in its ASCII (IDNA) form."""
    domain = value.rpartition("@")[2].strip().strip("<>").rstrip(".").lower()
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _within(domain: str, from_domain: str) -> bool:
    """The domain is From's or a subdomain of it (its owner controls both)."""
    return bool(domain) and (domain == from_domain or domain.endswith("." + from_domain))


def _fields(head: bytes) -> Iterator[tuple[str, str]]:
    """(name in lower case, unfolded value) of the header fields, top first, only of the
    two names read here (a plain scan: the email package's parser of the whole header
    block cost several times the rest of the check)."""
    name, value = "", []
    for number, line in enumerate(head.splitlines()):
        if number >= _MAX_HEADERS:
            break
        if line[:1] in (b" ", b"\t"):
            if name:
                value.append(line)
            continue
        if name:
            yield name, b" ".join(value).decode("utf-8", "replace")
        field_name, colon, rest = line.partition(b":")
        name = field_name.strip().lower().decode("ascii", "replace") if colon else ""
        if name not in ("received", "authentication-results"):
            name = ""
        value = [rest]
    if name:
        yield name, b" ".join(value).decode("utf-8", "replace")


def trusted_results(
    head: bytes, trusted: frozenset[str]
) -> tuple[str, list[authresults.MethodResult]] | None:
    """(authserv-id, results) of the listed headers that count; None when there is none."""
    found: list[authresults.MethodResult] = []
    authserv_id = ""
    parsed = 0
    for name, value in _fields(head):
        if name == "received" and authserv_id:
            break  # the hop before ours: what is below, the sender could have written
        if name != "authentication-results" or parsed >= _MAX_RESULTS:
            continue
        parsed += 1
        header = authresults.parse(value)
        if header is None or header.authserv_id not in trusted:
            continue  # another server's (or a forger's): never believed
        authserv_id = authserv_id or header.authserv_id
        found += header.results
    return (authserv_id, found) if authserv_id else None


def judge(from_email: str, authserv_id: str, results: list[authresults.MethodResult]) -> Verdict:
    """The verdict on the From address from the results our server recorded."""
    from_domain = _domain(from_email)

    def verdict(verified: bool, method: str, result: str) -> Verdict:
        return Verdict(verified=verified, method=method, result=result, authserv_id=authserv_id)

    dmarc = [r for r in results if r.method == "dmarc"]
    if dmarc:
        # A result for another From domain (a mail with two From headers) does not count.
        mine = [r for r in dmarc if _domain(r.props.get("header.from", from_domain)) == from_domain]
        failed = next((r for r in mine if r.result != "pass"), None)
        if failed is not None:
            return verdict(False, "dmarc", failed.result)
        return verdict(True, "dmarc", "pass") if mine else verdict(False, "dmarc", "unaligned")
    first_other: tuple[str, str] | None = None
    for r in results:
        if r.method == "spf":
            domain = _domain(r.props.get("smtp.mailfrom", ""))
        elif r.method == "dkim":
            domain = _domain(r.props.get("header.d", "") or r.props.get("header.i", ""))
        else:
            continue
        if r.result == "pass" and _within(domain, from_domain):
            return verdict(True, r.method, "pass")
        if first_other is None:
            first_other = (r.method, "unaligned" if r.result == "pass" else r.result)
    if first_other is None:
        return verdict(False, "", "none")
    return verdict(False, *first_other)


def check_sender(raw: bytes, from_email: str) -> Verdict | None:
    """The verdict on the mail's From; None when the check is off (no listed id).
    Never raises: a header that cannot be read counts as no header (not verified)."""
    trusted = trusted_authserv_ids()
    if not trusted:
        return None
    try:
        end = raw.find(b"\r\n\r\n")
        lf = raw.find(b"\n\n", 0, end if end >= 0 else len(raw))
        end = lf if lf >= 0 else end
        found = trusted_results(bytes(raw[: end if end >= 0 else len(raw)]), trusted)
    except Exception:  # noqa: BLE001 - input the sender wrote: unreadable is unverified
        found = None
    if found is None:
        return Verdict(verified=False, method="", result="none", authserv_id="")
    return judge(from_email, *found)


def verdict_of(source_headers: Any) -> Verdict | None:
    """The verdict kept on a ticket message; None when its sender was not checked."""
    if not isinstance(source_headers, dict):
        return None
    found = source_headers.get(KEY)
    if not isinstance(found, dict) or not isinstance(found.get("verified"), bool):
        return None
    return Verdict(
        verified=found["verified"],
        method=str(found.get("method", "")),
        result=str(found.get("result", "")),
        authserv_id=str(found.get("authserv_id", "")),
    )


def unverified(source_headers: Any) -> bool:
    """Whether the message came by mail whose sender our server did not verify."""
    found = verdict_of(source_headers)
    return found is not None and not found["verified"]


def describe(verdict: Verdict) -> str:
    """The verdict in short, for the API: "dmarc=fail", "spf=pass", "none"."""
    return f"{verdict['method']}={verdict['result']}" if verdict["method"] else "none"


def opened_by_unverified_sender(ticket: Ticket) -> bool:
    """Whether the ticket was opened by mail whose sender our server did not verify:
    then nothing may join it to, or join to it, the From address's other tickets."""
    opening = (
        Message.objects.filter(ticket=ticket)
        .order_by("created_at", "id")
        .values_list("source_headers", flat=True)
        .first()
    )
    return unverified(opening)
