"""The search service on the database in use (run with DATABASE_URL for PostgreSQL):
the same tests, so both backends mean the same."""

import pytest

from deskline.search.models import Kind, SearchDocument
from deskline.search.services import Filters, search
from deskline.tickets.services import add_message, update_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user, agent_on, support_desk, it_desk):
    return {
        "agent": agent_on(support_desk),
        "it_agent": agent_on(it_desk),
        "alice": make_user("alice@example.com", name="Alice"),
        "bob": make_user("bob@example.com", name="Bob"),
    }


def found(user, query, **kwargs):
    return {(hit.kind, hit.object_id) for hit in search(user, query, **kwargs)}


def test_agent_finds_old_tickets_by_a_word_of_their_body_in_three_languages(
    people, support_desk, indexed_ticket
):
    english = indexed_ticket(
        support_desk, people["alice"], "Printer", body_text="The toner cartridge is leaking."
    )
    arabic = indexed_ticket(
        support_desk, people["alice"], "طابعة", body_text="لا أستطيع الاتصال بالشبكة اللاسلكية"
    )
    chinese = indexed_ticket(
        support_desk, people["alice"], "打印机", body_text="我无法登录公司的邮箱系统"
    )
    agent = people["agent"]
    assert (Kind.TICKET, english.pk) in found(agent, "cartridges")
    assert (Kind.TICKET, arabic.pk) in found(agent, "الشبكه")  # ة typed as ه, no ال
    assert (Kind.TICKET, chinese.pk) in found(agent, "登录")
    assert (Kind.TICKET, chinese.pk) not in found(agent, "登出")
    assert (Kind.MESSAGE, english.messages.get().pk) in found(agent, "toner")


def test_every_word_must_match_when_some_document_holds_them_all(
    people, support_desk, indexed_ticket
):
    both = indexed_ticket(support_desk, people["alice"], "VPN", body_text="vpn login fails")
    one = indexed_ticket(support_desk, people["alice"], "Mail", body_text="login to mail fails")
    assert found(people["agent"], "vpn login", filters=Filters(kinds=("ticket",))) == {
        (Kind.TICKET, both.pk)
    }
    # No document has every word: the closest ones, ranked.
    hits = search(people["agent"], "login keyboard", filters=Filters(kinds=("ticket",)))
    assert {h.object_id for h in hits} == {both.pk, one.pk}


def test_requester_never_finds_another_requesters_ticket_or_an_internal_note(
    people, support_desk, indexed_ticket, committed
):
    ticket = indexed_ticket(support_desk, people["alice"], "Refund", body_text="order 4417")
    committed(
        add_message,
        ticket,
        actor=people["agent"],
        body_text="customer is a zebrafish reseller",
        internal=True,
    )
    assert (Kind.TICKET, ticket.pk) in found(people["alice"], "4417")
    assert found(people["bob"], "4417") == set()
    assert found(people["alice"], "zebrafish") == set()
    assert found(people["bob"], "zebrafish") == set()
    note_hits = found(people["agent"], "zebrafish")
    assert note_hits and {kind for kind, _ in note_hits} == {Kind.MESSAGE}
    # Agents of another desk don't see this desk's tickets either.
    assert found(people["it_agent"], "4417") == set()
    # Requesters don't search people.
    assert found(people["alice"], "bob", filters=Filters(kinds=("user",))) == set()


def test_index_follows_changes(people, support_desk, indexed_ticket, committed):
    ticket = indexed_ticket(support_desk, people["alice"], "Laptop", body_text="screen flickers")
    agent = people["agent"]
    solved = Filters(statuses=("solved",))
    assert found(agent, "flickers", filters=solved) == set()
    committed(update_ticket, ticket, actor=agent, changes={"status": "solved"})
    assert (Kind.TICKET, ticket.pk) in found(agent, "flickers", filters=solved)
    # A new message is found, and its words also find the ticket.
    committed(add_message, ticket, actor=people["alice"], body_text="also the trackpad")
    assert (Kind.TICKET, ticket.pk) in found(agent, "trackpad")
    committed(update_ticket, ticket, actor=agent, changes={"subject": "Laptop hinge"})
    assert (Kind.TICKET, ticket.pk) in found(agent, "hinge")
    assert SearchDocument.objects.filter(ticket_id=ticket.pk, status="open").count() == 3


def test_filters(people, support_desk, it_desk, indexed_ticket, admin_user):
    english = indexed_ticket(support_desk, people["alice"], "Backup", body_text="backup failed")
    arabic = indexed_ticket(it_desk, people["bob"], "Backup", body_text="فشل النسخ backup")
    assert found(admin_user, "backup", filters=Filters(desk_ids=(it_desk.pk,))) >= {
        (Kind.TICKET, arabic.pk)
    }
    by_language = found(admin_user, "backup", filters=Filters(language="ar"))
    assert (Kind.TICKET, arabic.pk) in by_language
    assert (Kind.TICKET, english.pk) not in by_language
    later = Filters(created_from=english.created_at.replace(year=english.created_at.year + 1))
    assert found(admin_user, "backup", filters=later) == set()


def test_snippets_and_ranking(people, support_desk, indexed_ticket):
    title_hit = indexed_ticket(support_desk, people["alice"], "Keyboard broken", body_text="x y")
    body_hit = indexed_ticket(
        support_desk, people["alice"], "Desk", body_text="my keyboard is here " + "word " * 50
    )
    hits = search(people["agent"], "keyboard", filters=Filters(kinds=("ticket",)))
    assert [h.object_id for h in hits] == [title_hit.pk, body_hit.pk]
    assert "<mark>keyboard</mark>" in hits[1].snippet


def test_unknown_type_and_empty_query(people):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        search(people["agent"], "x", filters=Filters(kinds=("spaceship",)))
    assert search(people["agent"], "the of ,,,") == []


def test_reindex_rebuilds_everything(people, support_desk, indexed_ticket):
    from django.core.management import call_command

    ticket = indexed_ticket(support_desk, people["alice"], "Projector", body_text="no signal")
    SearchDocument.objects.all().delete()
    assert found(people["agent"], "projector") == set()
    call_command("search", "reindex")
    assert (Kind.TICKET, ticket.pk) in found(people["agent"], "projector")
    assert (Kind.USER, people["alice"].pk) in found(people["agent"], "alice")
