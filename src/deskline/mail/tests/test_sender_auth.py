"""A forged From joins no ticket: the intake believes our boundary mail server's
Authentication-Results (DESKLINE_MAIL_AUTHSERV_ID), and only those."""

import pytest

from deskline.mail.models import DeskAddress, OutboundMail
from deskline.mail.parsing import authresults
from deskline.mail.services.addresses import reply_to_for
from deskline.mail.services.authentication import KEY
from deskline.mail.services.intake import ingest, reprocess
from deskline.mail.tests.conftest import build_mail
from deskline.tickets.models import Ticket
from deskline.tickets.services import add_message

pytestmark = pytest.mark.django_db

OURS = "mx.desk.test"
# Our boundary server's trace line: what is below it, the sender wrote.
RECEIVED = (
    b"Received: from mail.example.com (mail.example.com [192.0.2.7])\r\n"
    b"\tby mx.desk.test (Postfix) with ESMTPS id 4Q; Mon, 7 Dec 2026 10:00:00 +0000\r\n"
)


def received(*results: str, below: list[str] = (), **mail) -> bytes:  # type: ignore[assignment]
    """A mail as our server delivers it: its Authentication-Results on top, then its
    Received line, then `below` (headers the sender wrote) and the sender's mail."""
    top = b"".join(f"Authentication-Results: {r}\r\n".encode() for r in results)
    forged = b"".join(f"Authentication-Results: {r}\r\n".encode() for r in below)
    return top + RECEIVED + forged + build_mail(**mail)


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two ids, odd spacing and casing: listed ids compare in any case.
    monkeypatch.setenv("DESKLINE_MAIL_AUTHSERV_ID", " MX.desk.test , mx2.desk.test")


PASS = f"{OURS}; spf=pass smtp.mailfrom=sam@example.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com"  # noqa: E501
FAIL = f"{OURS}; spf=fail smtp.mailfrom=evil@forger.test; dkim=none; dmarc=fail (p=reject) header.from=example.com"  # noqa: E501


# --- the header itself -----------------------------------------------------------


def test_a_header_parses_with_comments_quotes_casing_and_several_methods() -> None:
    value = (
        'MX.Desk.Test (Postfix 3.8; "quoted" (nested) comment) 1;\r\n'
        "\tDKIM / 1 = Pass (2048-bit key; unprotected) Header.D=Example.COM header.s=sel\r\n"
        "\t  header.b=abc;  spf=SoftFail (domain of x does not designate) smtp.mailfrom = x@a.test;"
        ' dmarc=fail reason="p=reject; sp=none" header.from=example.com ; ;'
    )
    parsed = authresults.parse(value)
    assert parsed is not None and parsed.authserv_id == "mx.desk.test"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("dkim", "pass"), ("spf", "softfail"), ("dmarc", "fail"),
    ]  # fmt: skip
    assert parsed.results[0].props["header.d"] == "Example.COM"
    assert parsed.results[1].props["smtp.mailfrom"] == "x@a.test"
    # A ";" inside a quoted reason does not split the result.
    assert parsed.results[2].props == {"header.from": "example.com"}
    assert authresults.parse('"mx.desk.test"; none').results == []


@pytest.mark.parametrize(
    "value",
    ["", "   ", "(only a comment)", "; dmarc=pass", "mx.desk.test; dmarc=(unclosed pass",
     'mx.desk.test; dmarc="pass', "mx.desk.test; ===; /=/; dmarc", "\x00\udcff;;;;" * 5000],
)  # fmt: skip
def test_a_malformed_header_parses_to_nothing_that_passes(value: str) -> None:
    parsed = authresults.parse(value)
    assert parsed is None or all(r.result != "pass" for r in parsed.results)


# --- the intake ------------------------------------------------------------------


def test_a_verified_sender_joins_their_ticket_as_today(it_address, checked):
    first = ingest(received(PASS), "pipe")
    by_subject = ingest(received(PASS, subject="Re: VPN drops every hour"), "pipe")
    number = first.ticket.number
    by_number = ingest(received(PASS, subject=f"[{number}] other words"), "pipe")
    assert by_subject.ticket_id == by_number.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1
    assert first.sender_auth == {
        "verified": True, "method": "dmarc", "result": "pass", "authserv_id": OURS,
    }  # fmt: skip
    assert by_subject.ticket_message.source_headers[KEY]["verified"] is True


def test_spf_or_dkim_pass_for_the_from_domain_verifies_without_dmarc(it_address, checked):
    first = ingest(received(f"{OURS}; spf=pass smtp.mailfrom=bounce@lists.example.com"), "pipe")
    assert first.sender_auth["verified"] is True and first.sender_auth["method"] == "spf"
    signed = ingest(received(f"{OURS}; dkim=pass header.i=@example.com; spf=fail"), "pipe")
    assert signed.ticket_id == first.ticket_id
    # A pass for someone else's domain says nothing of From's.
    other = ingest(received(f"{OURS}; dkim=pass header.d=forger.test; spf=none"), "pipe")
    assert other.ticket_id != first.ticket_id
    assert other.sender_auth["result"] == "unaligned"


def test_dmarc_fail_opens_a_new_flagged_ticket_despite_subject_and_number(it_address, checked):
    first = ingest(received(PASS), "pipe")
    number = first.ticket.number
    same_subject = ingest(received(FAIL, subject="Re: VPN drops every hour"), "pipe")
    with_number = ingest(received(FAIL, subject=f"Re: [{number}] VPN drops every hour"), "pipe")
    tickets = {first.ticket_id, same_subject.ticket_id, with_number.ticket_id}
    assert len(tickets) == 3 and None not in tickets
    for mail in (same_subject, with_number):
        assert mail.state == "processed"
        assert mail.sender_auth == {
            "verified": False, "method": "dmarc", "result": "fail", "authserv_id": OURS,
        }  # fmt: skip
        assert mail.ticket_message.source_headers[KEY]["verified"] is False
        assert mail.ticket.requester.email == "sam@example.com"  # still their request


def test_a_verified_follow_up_joins_no_ticket_a_forged_mail_opened(
    it_address, checked, agent_on, api_for
):
    """A forged mail opens a ticket in Sam's name; Sam's real mail with its subject or
    its number opens another instead of lending the forgery Sam's voice."""
    forged = ingest(received(FAIL), "pipe")
    number = forged.ticket.number
    by_subject = ingest(received(PASS, subject="Re: VPN drops every hour", body="1"), "pipe")
    by_number = ingest(received(PASS, subject=f"[{number}] other words", body="2"), "pipe")
    assert forged.ticket_id not in {by_subject.ticket_id, by_number.ticket_id}
    assert by_subject.ticket_message.source_headers[KEY]["verified"] is True
    # The forgery is answered from the console after the real ticket opened, so it is
    # the latest with that subject: the next real mail passes over it to Sam's own.
    agent = agent_on(it_address.desk)
    add_message(forged.ticket, actor=agent, body_text="Looking into it.")
    again = ingest(received(PASS, subject="Re: VPN drops every hour", body="3"), "pipe")
    assert again.ticket_id == by_subject.ticket_id
    # What a forger cannot know still joins it: the reply address we signed for it.
    token_to = reply_to_for(forged.ticket, it_address)
    by_token = ingest(received(PASS, subject="new words", to=token_to), "pipe")
    assert by_token.ticket_id == forged.ticket_id
    # The forgery stays flagged for agents, the real follow-ups are not.
    items = api_for(agent).get(f"/tickets/{number}/messages").json()["items"]
    assert items[0]["sender_verified"] is False
    assert items[-1]["sender_verified"] is True  # the reply by the signed address


def test_an_unverified_sender_still_continues_by_a_secret_of_the_thread(it_address, checked):
    first = ingest(received(PASS), "pipe")
    token_to = reply_to_for(first.ticket, it_address)
    by_token = ingest(received(FAIL, subject="new words", to=token_to), "pipe")
    # A mail we sent on the ticket (what a reply answers), its Message-ID as stored.
    OutboundMail.objects.create(
        ticket=first.ticket, kind="reply", to="sam@example.com", message_id="ours-1@desk.test"
    )
    by_reply = ingest(received(FAIL, subject="other", in_reply_to="<ours-1@desk.test>"), "pipe")
    assert by_token.ticket_id == by_reply.ticket_id == first.ticket_id
    assert by_reply.ticket_message.source_headers[KEY]["verified"] is False


def test_a_header_from_an_unlisted_server_or_below_our_trace_is_ignored(it_address, checked):
    first = ingest(received(PASS), "pipe")
    # A pass under another server's id (the sender's own, or a forger's) is not ours.
    forged = ingest(
        received("evil.test; dmarc=pass header.from=example.com; spf=pass smtp.mailfrom=x.com",
                 subject="Re: VPN drops every hour"),
        "pipe",
    )  # fmt: skip
    assert forged.ticket_id != first.ticket_id
    assert forged.sender_auth == {
        "verified": False, "method": "", "result": "none", "authserv_id": "",
    }  # fmt: skip
    # Ours said fail, or found nothing to check; a pass under our id that the sender
    # put in their own headers, below our trace line, changes nothing.
    for ours in (FAIL, f"{OURS}; none"):
        below = ingest(received(ours, below=[PASS], subject="Re: VPN drops every hour",
                                body=ours), "pipe")  # fmt: skip
        assert below.ticket_id not in {first.ticket_id, forged.ticket_id}
        assert below.sender_auth["verified"] is False
        assert below.sender_auth["authserv_id"] == OURS


def test_a_malformed_header_loses_no_mail(it_address, checked):
    first = ingest(received(PASS), "pipe")
    odd = [
        f"{OURS}; dmarc=(unclosed pass",
        f'{OURS}; dmarc="pass',
        f"{OURS}; ===; dmarc",
        "\u00e9\u00e9; dmarc=pass",
        f"{OURS}; dmarc=pass header.from=" + "a" * 20_000,
    ]
    for n, value in enumerate(odd):
        mail = ingest(received(value, subject="Re: VPN drops every hour", body=f"odd {n}"), "pipe")
        assert mail.state == "processed", mail.error
        assert mail.ticket_id != first.ticket_id
        assert mail.sender_auth["verified"] is False
    raw = (
        b"Authentication-Results: \xff\xfe" + OURS.encode() + b"; dmarc=pass\r\n"
        + b"Authentication-Results:\r\n" + RECEIVED + build_mail(body="bytes")
    )  # fmt: skip
    mail = ingest(raw, "pipe")
    assert mail.state == "processed" and mail.sender_auth["verified"] is False


def test_the_check_off_leaves_the_intake_as_it_was(it_address, monkeypatch):
    monkeypatch.setenv("DESKLINE_MAIL_AUTHSERV_ID", " , ")
    first = ingest(received(PASS), "pipe")
    joined = ingest(received(FAIL, subject="Re: VPN drops every hour"), "pipe")
    assert joined.ticket_id == first.ticket_id
    assert joined.sender_auth is None and KEY not in joined.ticket_message.source_headers


def test_reprocessing_decides_with_the_first_verdict(it_desk, checked, monkeypatch):
    address = DeskAddress.objects.create(desk=it_desk, email="it@desk.test")
    first = ingest(received(PASS), "pipe")
    lost = ingest(received(FAIL, to="nobody@desk.test"), "pipe")
    assert lost.state == "rejected" and lost.sender_auth["verified"] is False
    # The check turned off, the address added: the mail is still the unverified one.
    monkeypatch.delenv("DESKLINE_MAIL_AUTHSERV_ID")
    DeskAddress.objects.create(desk=it_desk, email="nobody@desk.test")
    again = reprocess(lost.pk)
    assert again.state == "processed" and again.ticket_id != first.ticket_id
    assert again.ticket_message.source_headers[KEY]["result"] == "fail"
    assert address.pk


# --- what agents see ---------------------------------------------------------------


def test_the_api_shows_the_verdict_of_each_message(it_address, checked, api_for, agent_on):
    first = ingest(received(PASS), "pipe")
    forged = ingest(received(FAIL), "pipe")
    agent = api_for(agent_on(it_address.desk))
    verified = agent.get(f"/tickets/{first.ticket.number}/messages").json()["items"][0]
    assert verified["sender_verified"] is True and verified["sender_verification"] == "dmarc=pass"
    items = agent.get(f"/tickets/{forged.ticket.number}/messages").json()["items"]
    assert items[0]["sender_verified"] is False
    assert items[0]["sender_verification"] == "dmarc=fail"
    note = agent.post(f"/tickets/{forged.ticket.number}/messages",
                      {"body_text": "checking", "internal": True}).json()  # fmt: skip
    assert note["sender_verified"] is None and note["sender_verification"] == ""


@pytest.mark.parametrize(
    ("language", "flag"),
    [("en", "Sender not verified (DMARC fail)"),
     ("ar", "لم يُتحقَّق من المرسل (DMARC fail)"),
     ("zh-hans", "发件人未经验证（DMARC fail）")],
)  # fmt: skip
def test_the_ticket_page_flags_an_unverified_sender(
    language, flag, it_address, checked, client, agent_on
):
    first = ingest(received(PASS), "pipe")
    forged = ingest(received(FAIL), "pipe")
    bare = ingest(build_mail(subject="no header at all"), "pipe")
    client.force_login(agent_on(it_address.desk, language=language))
    assert flag in client.get(f"/tickets/{forged.ticket.number}/").content.decode()
    page = client.get(f"/tickets/{first.ticket.number}/").content.decode()
    assert "badge unverified" not in page
    page = client.get(f"/tickets/{bare.ticket.number}/").content.decode()
    assert "badge unverified" in page and "DMARC" not in page


def test_an_unverified_agent_from_opens_no_ticket_in_a_customers_name(it_desk, agent_on, checked):
    """An agent's forward opens the ticket for the original sender only when our server
    verified the agent's From; a forged one is the forger's own request."""
    from deskline.desks.models import Role

    DeskAddress.objects.create(
        desk=it_desk, email="it@desk.test", forwards_open_for_original_sender=True
    )
    agent_on(it_desk, Role.AGENT, email="agent@corp.test")
    body = (
        "Please look at this.\n\n---------- Forwarded message ---------\n"
        "From: Customer Carla <carla@client.test>\nDate: Mon, 1 Jan 2024 10:00\n"
        "Subject: Broken login\nTo: agent@corp.test\n\nI cannot log in.\n"
    )
    signed = f"{OURS}; dmarc=pass header.from=corp.test"
    forged = f"{OURS}; spf=fail smtp.mailfrom=evil@forger.test; dmarc=fail header.from=corp.test"
    real = ingest(received(signed, sender="agent@corp.test", subject="Fwd: A", body=body), "pipe")
    assert real.ticket.requester.email == "carla@client.test"
    fake = ingest(received(forged, sender="agent@corp.test", subject="Fwd: B", body=body), "pipe")
    assert fake.ticket.requester.email == "agent@corp.test"
