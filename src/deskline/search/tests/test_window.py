"""The ranking window: only the newest DESKLINE_SEARCH_WINDOW matching tickets and
messages the user may see are ranked; articles always are. Same tests on both
backends (DATABASE_URL for PostgreSQL)."""

import pytest
from django.test import override_settings

from deskline.kb import services as kb
from deskline.search.models import Kind, SearchDocument
from deskline.search.services import Filters, search

pytestmark = pytest.mark.django_db

TICKETS = Filters(kinds=(Kind.TICKET,))


def ticket_ids(user, query, filters=TICKETS):
    return {hit.object_id for hit in search(user, query, filters=filters, limit=100)}


@pytest.fixture
def quasar_tickets(make_user, support_desk, it_desk, indexed_ticket):
    """Tickets holding "quasar", oldest first: one on IT, five of Alice's, then two of
    Bob's, the newest. Each subject makes its ticket rank differently."""
    alice = make_user("alice@example.com")
    bob = make_user("bob@example.com")
    it = indexed_ticket(it_desk, alice, "Quasar quasar quasar", body_text="quasar on IT")
    alices = [
        indexed_ticket(support_desk, alice, f"Question {i}", body_text="quasar " * (i + 1))
        for i in range(5)
    ]
    bobs = [indexed_ticket(support_desk, bob, f"Bob {i}", body_text="my quasar") for i in range(2)]
    return {"alice": alice, "bob": bob, "it": it, "alices": alices, "bobs": bobs}


def test_only_the_newest_matches_are_ranked(quasar_tickets, admin_user, agent_on, support_desk):
    t = quasar_tickets
    agent = agent_on(support_desk)
    everything = {t["it"].pk} | {x.pk for x in t["alices"] + t["bobs"]}
    with override_settings(SEARCH_WINDOW=0):
        assert ticket_ids(admin_user, "quasar") == everything
    with override_settings(SEARCH_WINDOW=3):
        newest_three = {t["alices"][4].pk, t["bobs"][0].pk, t["bobs"][1].pk}
        assert ticket_ids(admin_user, "quasar") == newest_three
        assert ticket_ids(agent, "quasar") == newest_three
        # The IT ticket, the best match by far, is older than the window: a filter
        # narrows the candidates before the window is cut, so it is found again.
        assert t["it"].pk not in ticket_ids(admin_user, "quasar")
        on_it = Filters(kinds=(Kind.TICKET,), desk_ids=(t["it"].desk_id,))
        assert ticket_ids(admin_user, "quasar", on_it) == {t["it"].pk}
        # Inside the window, relevance orders the hits, not age.
        ranked = search(admin_user, "quasar", filters=TICKETS)
        assert [h.object_id for h in ranked][0] == t["alices"][4].pk
        assert ranked[0].score > ranked[-1].score


def test_a_requesters_window_holds_only_what_they_may_see(quasar_tickets, agent_on, support_desk):
    t = quasar_tickets
    with override_settings(SEARCH_WINDOW=3):
        # Bob's two newer tickets do not take places in Alice's window.
        assert ticket_ids(t["alice"], "quasar") == {x.pk for x in t["alices"][2:]}
        assert ticket_ids(t["bob"], "quasar") == {x.pk for x in t["bobs"]}
        # Without a type filter messages share the window; still only her own.
        hits = search(t["alice"], "quasar", limit=100)
        assert len(hits) == 3
        assert {h.ticket_id for h in hits} <= {x.pk for x in t["alices"]}
        # An agent of another desk sees only the IT ticket, however many are newer.
        it_agent = agent_on(t["it"].desk)
        assert ticket_ids(it_agent, "quasar") == {t["it"].pk}


def test_articles_are_ranked_whatever_the_window(
    quasar_tickets, admin_user, support_desk, committed
):
    article = committed(
        kb.create_article,
        support_desk,
        actor=admin_user,
        title="Quasar guide",
        body="What to do about a quasar.",
        state="published",
    )
    with override_settings(SEARCH_WINDOW=1):
        hits = search(quasar_tickets["alice"], "quasar", limit=100)
        assert (Kind.ARTICLE, article.pk) in {(h.kind, h.object_id) for h in hits}
        # One ticket or message from the window, plus the article.
        assert len(hits) == 2


def test_articles_index_follows_edits_and_deletions(admin_user, support_desk, committed):
    """Articles are found through their own index (SQLite) or partial index
    (PostgreSQL); both must follow every change of the article's document."""
    article = committed(
        kb.create_article,
        support_desk,
        actor=admin_user,
        title="Nebula setup",
        body="Configure the nebula client.",
        state="published",
    )

    def found(query):
        # No type filter: the path that finds articles apart from the ticket window.
        hits = search(admin_user, query, limit=100, hybrid=False)
        return {h.object_id for h in hits if h.kind == Kind.ARTICLE}

    assert found("nebula") == {article.pk}
    committed(
        kb.update_article,
        article,
        actor=admin_user,
        changes={"title": "Pulsar setup", "body": "Configure the pulsar client."},
    )
    assert found("nebula") == set()
    assert found("pulsar") == {article.pk}
    committed(SearchDocument.objects.filter(kind=Kind.ARTICLE, object_id=article.pk).delete)
    assert found("pulsar") == set()
