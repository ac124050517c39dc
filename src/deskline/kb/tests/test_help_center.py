"""The public help center pages."""

import pytest
from django.test import Client

from deskline.kb import services
from deskline.kb.models import DeflectionEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(support_desk, it_desk):
    english = services.create_article(
        support_desk,
        actor=None,
        title="Reset MFA",
        body="Open the **portal**.",
        language="en",
        state="published",
    )
    arabic = services.create_article(
        support_desk,
        actor=None,
        title="إعادة ضبط التحقق",
        body="افتح **البوابة**.",
        language="ar",
        state="published",
        translation_of=english,
    )
    staff = services.create_article(
        it_desk, actor=None, title="Staff VPN", body="internal", state="published"
    )
    return english, arabic, staff


def test_anonymous_reader_browses_searches_and_reads(articles):
    english, arabic, staff = articles
    client = Client()
    home = client.get("/help/").content.decode()
    assert "/help/support/" in home and "/help/it/" not in home
    page = client.get("/help/support/", {"q": "mfa"}).content.decode()
    assert "<mark>MFA</mark>" in page
    article = client.get(f"/help/support/articles/{english.pk}/")
    assert article.status_code == 200 and "<strong>portal</strong>" in article.content.decode()
    assert client.get(f"/help/it/articles/{staff.pk}/").status_code == 404
    assert client.get("/help/it/").status_code == 404


def test_arabic_reader_gets_the_arabic_translation_right_to_left(articles):
    english, arabic, _ = articles
    client = Client(headers={"Accept-Language": "ar"})
    response = client.get(f"/help/support/articles/{english.pk}/", follow=True)
    html = response.content.decode()
    assert f"/help/support/articles/{arabic.pk}/" in response.redirect_chain[-1][0]
    assert 'lang="ar" dir="rtl"' in html and "<strong>البوابة</strong>" in html


def test_request_form_suggestions_and_opened_event(articles):
    english, _, _ = articles
    client = Client()
    fragment = client.get(
        "/help/support/suggest/", {"subject": "reset mfa", "session": "s9"}
    ).content.decode()
    assert f"/help/support/articles/{english.pk}/" in fragment
    client.get(f"/help/support/articles/{english.pk}/", {"session": "s9", "original": "1"})
    kinds = list(DeflectionEvent.objects.filter(session="s9").values_list("kind", flat=True))
    assert sorted(kinds) == ["opened", "suggested"]


def test_feedback_form(articles):
    english, _, _ = articles
    client = Client()
    response = client.post(
        f"/help/support/articles/{english.pk}/feedback/", {"helpful": "no", "comment": "old"}
    )
    assert response.status_code == 200
    english.refresh_from_db()
    assert english.not_helpful_count == 1


def test_missing_or_hidden_articles_answer_404_on_every_page(articles):
    """An id that is not there, or is an internal desk's article asked for under a public
    desk, is a 404 like any other unknown page, for reading and for the forms."""
    _, _, staff = articles
    client = Client(raise_request_exception=False)
    for article_id in (999999, staff.pk):
        base = f"/help/support/articles/{article_id}/"
        assert client.get(base).status_code == 404
        assert client.post(f"{base}feedback/", {"helpful": "yes"}).status_code == 404
        assert client.post(f"{base}answered/", {"session": "s1"}).status_code == 404
    staff.refresh_from_db()
    assert staff.view_count == 0 and staff.helpful_count == 0
