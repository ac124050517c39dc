"""The same requester asking again about the same thing joins the first ticket (merged),
unless an agent already worked on the new ticket or the desk turned merging off."""

import pytest

from deskline.tickets.choices import LinkKind, Status
from deskline.tickets.models import Message, Ticket, TicketEvent, TicketLink
from deskline.tickets.services import add_message, open_ticket, update_ticket
from deskline.triage.models import DeskTriage
from deskline.triage.services import triage_ticket
from deskline.triage.services.merging import MERGED_KIND
from deskline.triage.services.similarity import Scorer

# (subject, body) of a first request, the same request reworded, and another request.
REQUESTS = {
    "en": (
        ("VPN drops every hour", "Since Monday the VPN disconnects every hour."),
        (
            "VPN keeps dropping every hour",
            "The VPN still disconnects every hour since Monday, help!",
        ),
        ("New keyboard", "Please order a new keyboard for the meeting room."),
    ),
    "ar": (
        ("انقطاع الشبكة الافتراضية", "لا أستطيع الاتصال بالشبكة الافتراضية منذ صباح اليوم"),
        (
            "ما زلت لا أستطيع الاتصال بالشبكة الافتراضية",
            "الاتصال بالشبكة الافتراضية لا يعمل منذ الصباح، أرجو المساعدة",
        ),
        ("طلب لوحة مفاتيح جديدة", "أرجو طلب لوحة مفاتيح جديدة لقاعة الاجتماعات"),
    ),
    "zh": (
        ("打印机无法连接网络", "我的打印机无法连接网络"),
        ("打印机还是无法连接", "打印机还是无法连接网络，请尽快处理"),
        ("汇率", "请问今天的汇率是多少"),
    ),
}


def _open(desk, requester, request, capture) -> Ticket:
    subject, body = request
    with capture(execute=True):
        ticket = open_ticket(desk=desk, subject=subject, body_text=body, requester=requester)
    ticket.refresh_from_db()
    return ticket


@pytest.mark.parametrize("language", sorted(REQUESTS))
def test_a_reworded_follow_up_joins_the_first_ticket(
    language, it_desk, make_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first_request, again_request, other_request = REQUESTS[language]
    requester = make_user()
    first = _open(it_desk, requester, first_request, capture)
    other = _open(it_desk, requester, other_request, capture)
    again = _open(it_desk, requester, again_request, capture)

    assert again.merged_into == first and again.status == Status.CLOSED
    bodies = list(
        Message.objects.filter(ticket=first)
        .order_by("created_at", "id")
        .values_list("body_text", flat=True)
    )
    assert bodies == [first_request[1], again_request[1]]
    assert not Message.objects.filter(ticket=again).exists()
    first.refresh_from_db()
    assert first.status in (Status.NEW, Status.OPEN) and first.merged_into is None
    # The history of both says it was triage (no actor), how similar, and which ticket.
    why = TicketEvent.objects.get(ticket=again, kind=MERGED_KIND)
    assert why.actor is None and why.after["into"] == first.number
    assert why.after["score"] >= Scorer(again, "").thresholds.duplicate
    back = TicketEvent.objects.get(ticket=first, kind=MERGED_KIND)
    assert back.after["from"] == again.number and back.after["score"] == why.after["score"]
    assert TicketEvent.objects.filter(ticket=first, kind="merged_from", actor=None).exists()
    # Merged, not also linked; the other request of the same person stays its own ticket.
    assert not TicketLink.objects.filter(source=again).exists()
    other.refresh_from_db()
    assert other.merged_into is None and other.status == Status.NEW
    assert not TicketLink.objects.filter(source=other).exists()
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 1


def test_another_requesters_similar_ticket_is_never_merged(
    it_desk, make_user, organization, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first_request, again_request, _ = REQUESTS["en"]
    sam = make_user(organization=organization)
    colleague = make_user(organization=organization)
    stranger = make_user()
    first = _open(it_desk, sam, first_request, capture)
    colleague_ticket = _open(it_desk, colleague, again_request, capture)
    stranger_ticket = _open(it_desk, stranger, again_request, capture)
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
    links = set(TicketLink.objects.values_list("source", "target", "kind"))
    # The colleague's is related to both, the stranger's to nothing (another organization).
    assert (colleague_ticket.pk, first.pk, LinkKind.RELATED) in links
    assert not TicketLink.objects.filter(source=stranger_ticket).exists()
    assert {kind for _, _, kind in links} == {LinkKind.RELATED}


def test_tickets_of_another_desk_are_never_merged(
    it_desk, support_desk, make_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    _open(it_desk, requester, first_request, capture)
    elsewhere = _open(support_desk, requester, again_request, capture)
    assert elsewhere.merged_into is None and elsewhere.status == Status.NEW
    assert not TicketLink.objects.exists()


def test_an_older_ticket_is_never_merged_into_a_newer_one(it_desk, make_user):
    """Triage of the first ticket running late, after the follow-up came in."""
    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    subject, body = first_request
    first = open_ticket(desk=it_desk, subject=subject, body_text=body, requester=requester)
    subject, body = again_request
    again = open_ticket(desk=it_desk, subject=subject, body_text=body, requester=requester)
    triage_ticket(first.pk)
    first.refresh_from_db()
    assert first.merged_into is None and first.status == Status.NEW
    assert TicketLink.objects.filter(source=first, target=again, kind=LinkKind.DUPLICATE).exists()
    triage_ticket(again.pk)
    again.refresh_from_db()
    assert again.merged_into == first


def test_a_follow_up_an_integration_opened_for_the_requester_joins_the_first_ticket(
    it_desk, make_user, admin_user, django_capture_on_commit_callbacks
):
    """A web form, chat widget or script opens tickets through the API with its own
    token, on the requester's behalf: opening the ticket is not working on it."""
    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    opened = []
    for subject, body in (first_request, again_request):
        with django_capture_on_commit_callbacks(execute=True):
            ticket = open_ticket(
                desk=it_desk, subject=subject, body_text=body, requester=requester, actor=admin_user
            )
        opened.append(ticket)
    first, again = opened
    again.refresh_from_db()
    assert again.merged_into == first and again.status == Status.CLOSED
    assert TicketEvent.objects.filter(ticket=again, kind=MERGED_KIND).exists()


def _assert_only_linked(new, first) -> None:
    """Triage took `new` for the same request as `first`, and only linked it."""
    new.refresh_from_db()
    assert new.merged_into is None and new.status != Status.CLOSED
    assert TicketLink.objects.filter(source=new, target=first, kind=LinkKind.DUPLICATE).exists()


@pytest.mark.parametrize("channel", ["agent", "phone"])
def test_a_ticket_an_agent_opened_by_hand_for_the_caller_is_only_linked(
    channel, it_desk, make_user, agent_on, django_capture_on_commit_callbacks
):
    """An agent who opens a ticket in the console or logs a call decided to keep the
    request apart; triage links it to the caller's open one and leaves the choice."""
    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    agent = agent_on(it_desk)
    first = _open(it_desk, requester, first_request, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        logged = open_ticket(
            desk=it_desk,
            subject=again_request[0],
            body_text=again_request[1],
            requester=requester,
            actor=agent,
            channel=channel,
        )
    _assert_only_linked(logged, first)


def test_a_ticket_an_agent_split_out_is_not_merged_back(
    it_desk, make_user, agent_on, django_capture_on_commit_callbacks
):
    """Opening by someone else does not count as work, but an agent's split does."""
    from deskline.tickets.services import split_message

    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    agent = agent_on(it_desk)
    with django_capture_on_commit_callbacks(execute=True):
        first = open_ticket(
            desk=it_desk, subject=first_request[0], body_text=first_request[1], requester=requester
        )
        second = add_message(first, actor=requester, body_text=again_request[1])
    with django_capture_on_commit_callbacks(execute=True):
        new = split_message(first, second, actor=agent)
    _assert_only_linked(new, first)


@pytest.mark.parametrize("touch", ["reply", "note", "assign", "status"])
def test_a_follow_up_an_agent_already_worked_on_is_only_linked(touch, it_desk, make_user, agent_on):
    """Triage runs in the background; an agent may have been quicker."""
    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    agent = agent_on(it_desk)
    subject, body = first_request
    first = open_ticket(desk=it_desk, subject=subject, body_text=body, requester=requester)
    triage_ticket(first.pk)
    subject, body = again_request
    again = open_ticket(desk=it_desk, subject=subject, body_text=body, requester=requester)
    if touch in ("reply", "note"):
        add_message(again, actor=agent, body_text="Looking into it.", internal=touch == "note")
    elif touch == "assign":
        update_ticket(again, actor=agent, changes={"assignee": agent.email})
    else:
        update_ticket(again, actor=agent, changes={"status": "pending"})
    triage_ticket(again.pk)
    again.refresh_from_db()
    assert again.merged_into is None and again.status != Status.CLOSED
    assert TicketLink.objects.filter(source=again, target=first, kind=LinkKind.DUPLICATE).exists()
    assert not TicketEvent.objects.filter(kind=MERGED_KIND).exists()


def test_a_desk_that_turned_merging_off_gets_the_link_only(
    it_desk, support_desk, make_user, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    DeskTriage.objects.create(desk=it_desk, auto_merge_duplicates=False)
    DeskTriage.objects.create(desk=support_desk, auto_merge_duplicates=True)
    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    first = _open(it_desk, requester, first_request, capture)
    again = _open(it_desk, requester, again_request, capture)
    assert again.merged_into is None and again.status == Status.NEW
    assert TicketLink.objects.filter(source=again, target=first, kind=LinkKind.DUPLICATE).exists()
    # The other desk, switched on explicitly, still merges.
    support_first = _open(support_desk, requester, first_request, capture)
    support_again = _open(support_desk, requester, again_request, capture)
    assert support_again.merged_into == support_first


def test_admins_see_and_change_the_switch(client, admin_user, it_desk, support_desk):
    client.force_login(admin_user)
    added = client.post(
        "/admin/triage/desktriage/add/", {"desk": it_desk.pk, "auto_merge_duplicates": ""}
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    assert DeskTriage.objects.get(desk=it_desk).auto_merge_duplicates is False
    page = client.get("/triage/").content.decode()
    rows = page.split('class="desk-triage"')[1]
    assert "<td>IT</td><td>linked only</td>" in rows
    assert "<td>Support</td><td>merged</td>" in rows
    assert "/admin/triage/desktriage/" in page


def test_the_ticket_page_says_triage_merged_it(
    client, it_desk, make_user, agent_on, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    first_request, again_request, _ = REQUESTS["en"]
    requester = make_user()
    first = _open(it_desk, requester, first_request, capture)
    again = _open(it_desk, requester, again_request, capture)
    client.force_login(agent_on(it_desk))
    page = client.get(f"/tickets/{first.number}/").content.decode()
    assert f"triage merged {again.number} into this ticket" in page
    assert again_request[1] in page


@pytest.mark.parametrize("unverified", ["first", "again"])
def test_a_mail_whose_sender_our_server_did_not_verify_is_never_merged(
    unverified, it_desk, monkeypatch, django_capture_on_commit_callbacks
):
    """The same requester is then only the same From, which anyone can write: the new
    ticket is linked as a duplicate for an agent to judge, not merged."""
    from deskline.mail.models import DeskAddress
    from deskline.mail.services.intake import ingest
    from deskline.mail.tests.conftest import build_mail

    DeskAddress.objects.create(desk=it_desk, email="it@desk.test")
    monkeypatch.setenv("DESKLINE_MAIL_AUTHSERV_ID", "mx.desk.test")
    verdicts = {"first": "dmarc=pass", "again": "dmarc=pass", unverified: "dmarc=fail"}
    tickets = {}
    for name, (subject, body) in zip(("first", "again"), REQUESTS["en"], strict=False):
        mail = b"Authentication-Results: mx.desk.test; %s header.from=example.com\r\n" % (
            verdicts[name].encode()
        ) + build_mail(subject=subject, body=body)
        with django_capture_on_commit_callbacks(execute=True):
            tickets[name] = ingest(mail, "pipe").ticket
    first, again = tickets["first"], tickets["again"]
    again.refresh_from_db()
    assert again.pk != first.pk and again.requester_id == first.requester_id
    assert again.merged_into is None and again.status == Status.NEW
    assert TicketLink.objects.filter(source=again, target=first, kind=LinkKind.DUPLICATE).exists()


def test_mails_whose_senders_our_server_verified_merge_as_before(
    it_desk, monkeypatch, django_capture_on_commit_callbacks
):
    from deskline.mail.models import DeskAddress
    from deskline.mail.services.intake import ingest
    from deskline.mail.tests.conftest import build_mail

    DeskAddress.objects.create(desk=it_desk, email="it@desk.test")
    monkeypatch.setenv("DESKLINE_MAIL_AUTHSERV_ID", "mx.desk.test")
    tickets = []
    for subject, body in REQUESTS["en"][:2]:
        mail = (
            b"Authentication-Results: mx.desk.test; dmarc=pass header.from=example.com\r\n"
            + build_mail(subject=subject, body=body)
        )
        with django_capture_on_commit_callbacks(execute=True):
            tickets.append(ingest(mail, "pipe").ticket)
    tickets[1].refresh_from_db()
    assert tickets[1].merged_into_id == tickets[0].pk
