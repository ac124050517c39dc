"""Hybrid retrieval: reciprocal-rank fusion always; embeddings with the `ai` extra."""

import pytest

from deskline.search import embeddings, semantic
from deskline.search.services import Filters, search

needs_ai = pytest.mark.skipif(
    not semantic.available(), reason="semantic search needs the `ai` extra (pip install .[ai])"
)


def test_reciprocal_rank_fusion_rewards_agreement():
    assert semantic.reciprocal_rank_fusion([[1, 2, 3], [2, 9, 1]]) == [2, 1, 9, 3]
    assert semantic.reciprocal_rank_fusion([[], [5]]) == [5]


def test_without_embeddings_search_stays_lexical(db, support_desk, make_user):
    from deskline.kb import services

    article = services.create_article(
        support_desk, actor=None, title="Reset your password", state="published"
    )
    hits = search(make_user(), "password", filters=Filters(kinds=("article",)), hybrid=True)
    assert [h.object_id for h in hits] == [article.pk]


@needs_ai
@pytest.mark.django_db
def test_meaning_across_languages_within_permissions(support_desk, it_desk, make_user):
    from deskline.kb import services

    password = services.create_article(
        support_desk,
        actor=None,
        title="Reset your password",
        body="Forgot your password? Use the reset link on the sign-in page.",
        state="published",
    )
    services.create_article(
        support_desk,
        actor=None,
        title="Printer out of toner",
        body="Replace the toner cartridge.",
        state="published",
    )
    services.create_article(
        it_desk, actor=None, title="Staff password vault", body="internal", state="published"
    )
    assert embeddings.embed_all() == 3
    assert embeddings.embed_all() == 0  # up to date: nothing recomputed
    customer = make_user()
    only_articles = Filters(kinds=("article",))
    question = "我忘记了密码"  # "I forgot my password": no word in common
    assert search(customer, question, filters=only_articles, hybrid=False) == []
    hits = search(customer, question, filters=only_articles, hybrid=True)
    assert hits[0].object_id == password.pk
    assert len(hits) == 2  # the internal desk's article stays hidden
