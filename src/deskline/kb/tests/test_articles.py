"""Article lifecycle, who reads what, import/export, tickets ↔ articles."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from deskline.core.errors import Conflict, NotFound
from deskline.kb import services
from deskline.kb.access import get_article_for_user
from deskline.kb.models import Article, ArticleVersion, TicketArticle
from deskline.kb.transfer import export_articles, import_articles
from deskline.search.services import Filters, search
from deskline.tickets.services import add_message, update_ticket

pytestmark = pytest.mark.django_db


def test_lifecycle_with_versions_and_sanitized_markdown(support_desk, agent_on, make_user):
    agent = agent_on(support_desk)
    customer = make_user()
    article = services.create_article(
        support_desk,
        actor=agent,
        title="Reset your password",
        body="Open **Settings**.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))",
    )
    assert article.state == "draft" and article.version == 1
    assert "<strong>Settings</strong>" in article.body_html
    assert "<script" not in article.body_html and "href" not in article.body_html
    with pytest.raises(NotFound):
        get_article_for_user(customer, article.pk)

    services.update_article(article, actor=agent, changes={"body": "Open *Preferences*."})
    services.update_article(article, actor=agent, changes={"category": "Accounts"})
    article.refresh_from_db()
    assert article.version == 2
    assert list(
        ArticleVersion.objects.filter(article=article).values_list("number", flat=True)
    ) == [
        2,
        1,
    ]

    services.set_article_state(article, "published", actor=agent)
    assert get_article_for_user(customer, article.pk).published_at is not None
    assert [h.object_id for h in search(customer, "preferences")] == [article.pk]

    services.set_article_state(article, "archived", actor=agent)
    with pytest.raises(NotFound):
        get_article_for_user(customer, article.pk)
    assert search(customer, "preferences") == []
    with pytest.raises(ValidationError):
        services.update_article(article, actor=agent, changes={"state": "draft"})
    with pytest.raises(ValidationError):
        services.create_article(support_desk, actor=agent, title="  ")


def test_translations_are_linked_one_per_language(support_desk, agent_on):
    agent = agent_on(support_desk)
    english = services.create_article(support_desk, actor=agent, title="VPN", language="en")
    arabic = services.create_article(
        support_desk, actor=agent, title="الشبكة الخاصة", language="ar", translation_of=english
    )
    assert arabic.translation_group == english.translation_group
    with pytest.raises(ValidationError):
        services.create_article(
            support_desk, actor=agent, title="VPN again", language="en", translation_of=arabic
        )


def test_internal_desk_articles_only_for_employees_and_internal_articles_only_agents(
    it_desk, support_desk, agent_on, make_user
):
    agent = agent_on(it_desk)
    outsider = make_user()
    employee = make_user(is_employee=True)
    other_agent = agent_on(support_desk)
    public = services.create_article(
        it_desk, actor=agent, title="Printer drivers", state="published"
    )
    internal = services.create_article(
        it_desk,
        actor=agent,
        title="Printer admin password",
        visibility="internal",
        state="published",
    )
    assert search(outsider, "printer") == []
    with pytest.raises(NotFound):
        get_article_for_user(outsider, public.pk)
    assert [h.object_id for h in search(employee, "printer")] == [public.pk]
    assert [h.object_id for h in search(other_agent, "printer")] == []
    assert {h.object_id for h in search(agent, "printer")} == {public.pk, internal.pk}


def test_import_export_round_trip(support_desk, it_desk, agent_on, tmp_path):
    items = [
        {
            "title": "Reset MFA",
            "body": "Ask the **service desk**.",
            "language": "en",
            "category": "Accounts",
            "visibility": "public",
        },
        {
            "title": "إعادة تعيين كلمة المرور",
            "body": "افتح الإعدادات",
            "language": "ar",
            "category": "الحسابات",
            "visibility": "internal",
        },
    ]
    created = import_articles(support_desk, items, actor=None)
    exported = export_articles(Article.objects.filter(pk__in=[a.pk for a in created]))
    assert [{k: e[k] for k in items[0]} for e in exported] == items

    path = tmp_path / "kb.json"
    call_command("kb", "export", str(path), "--desk", "support")
    call_command("kb", "import", str(path), "--desk", "it")
    again = export_articles(Article.objects.filter(desk=it_desk).order_by("pk"))
    assert again == json.loads(path.read_text(encoding="utf-8"))


def test_import_is_all_or_nothing(support_desk):
    bad = [
        {"title": "ok", "body": "", "language": "en", "category": "", "visibility": "public"},
        {"title": "bad", "body": "", "language": "en", "category": "", "visibility": "secret"},
    ]
    with pytest.raises(ValidationError) as caught:
        import_articles(support_desk, bad, actor=None)
    assert "articles.1.visibility" in caught.value.message_dict
    assert not Article.objects.exists()


def test_cli_import_reports_bad_files(support_desk, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("kb", "import", str(path), "--desk", "support")
    path.write_text('[{"title": "x", "colour": "red"}]', encoding="utf-8")
    with pytest.raises(CommandError, match="colour"):
        call_command("kb", "import", str(path), "--desk", "support")


def test_solved_ticket_becomes_a_draft_and_resolving_links(
    support_desk, agent_on, make_user, make_ticket
):
    agent = agent_on(support_desk)
    customer = make_user()
    ticket = make_ticket(
        support_desk,
        customer,
        "Outlook keeps asking for a password",
        body_text="Every morning Outlook prompts me again.",
    )
    with pytest.raises(Conflict):
        services.draft_from_ticket(ticket, actor=agent)
    add_message(ticket, actor=agent, body_text="Remove the saved credential in Credential Manager.")
    update_ticket(ticket, actor=agent, changes={"status": "solved"})
    draft = services.draft_from_ticket(ticket, actor=agent)
    assert draft.state == "draft" and draft.visibility == "internal"
    assert draft.source_ticket_id == ticket.pk
    assert "Every morning" in draft.body and "Credential Manager" in draft.body
    assert services.link_resolving_article(ticket, draft, actor=agent) is True
    assert services.link_resolving_article(ticket, draft, actor=agent) is False
    assert TicketArticle.objects.filter(ticket=ticket).count() == 1


def test_feedback_and_views(support_desk, agent_on, make_user):
    article = services.create_article(support_desk, actor=None, title="t", state="published")
    services.add_feedback(article, user=make_user(), helpful=True)
    services.add_feedback(article, user=None, helpful=False, comment="outdated screenshots")
    services.record_view(article)
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count, article.view_count) == (1, 1, 1)
    assert article.feedback.get(helpful=False).comment == "outdated screenshots"


def test_language_filter_uses_the_article_language(support_desk):
    article = services.create_article(
        support_desk, actor=None, title="VPN 登录", language="zh-hans", state="published"
    )
    from deskline.accounts.models import User

    admin = User.objects.create_superuser("root@example.com", "x")
    assert [h.object_id for h in search(admin, "登录", filters=Filters(language="zh-hans"))] == [
        article.pk
    ]
