"""Suggestions while a request is written, and what admins learn from them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from deskline.kb import services
from deskline.kb.deflection import deflection_report, record_event, suggest_articles
from deskline.kb.models import DeflectionEvent

pytestmark = pytest.mark.django_db

VPN = {
    "en": (
        "Cannot log in to the VPN",
        "If the VPN login fails, reset your password and restart the VPN client.",
    ),
    "ar": (
        "تعذر تسجيل الدخول إلى الشبكة الخاصة الافتراضية VPN",
        "إذا فشل تسجيل الدخول إلى VPN، أعد تعيين كلمة المرور ثم أعد تشغيل برنامج الاتصال.",
    ),
    "zh-hans": ("无法登录VPN", "如果VPN登录失败，请重置密码并重新启动VPN客户端。"),
}
OTHERS = [
    ("en", "Reset your mail password", "Open the mail settings and log in again."),
    ("en", "Printer out of toner", "Replace the toner cartridge."),
    ("ar", "إعادة تعيين كلمة مرور البريد", "افتح إعدادات البريد ثم سجل الدخول من جديد."),
    ("ar", "الطابعة لا تعمل", "استبدل خرطوشة الحبر في الطابعة."),
    ("zh-hans", "邮箱登录问题", "如果无法登录邮箱，请检查密码是否正确。"),
    ("zh-hans", "打印机没有墨粉", "请更换打印机的墨粉盒。"),
]


@pytest.fixture
def vpn_articles(it_desk, agent_on):
    agent = agent_on(it_desk)
    first = None
    for language, (title, body) in VPN.items():
        article = services.create_article(
            it_desk,
            actor=agent,
            title=title,
            body=body,
            language=language,
            state="published",
            translation_of=first,
        )
        first = first or article
    for language, title, body in OTHERS:
        services.create_article(
            it_desk, actor=agent, title=title, body=body, language=language, state="published"
        )
    return first.translation_group


@pytest.mark.parametrize(
    ("subject", "language"),
    [
        ("لا أستطيع الدخول إلى الـVPN", "ar"),
        ("ما أقدر أسجل دخول على vpn من البيت", "ar"),
        ("我登录不了VPN", "zh-hans"),
        ("VPN无法登录，怎么办？", "zh-hans"),
        ("can't log in to VPN", "en"),
    ],
)
def test_requester_sees_the_vpn_article_in_their_language_before_submitting(
    vpn_articles, it_desk, make_user, subject, language
):
    employee = make_user(is_employee=True)
    found = suggest_articles(employee, it_desk, subject, session="s1")
    assert found, subject
    assert found[0].article.translation_group == vpn_articles
    assert found[0].article.language == language
    event = DeflectionEvent.objects.get(session="s1")
    assert (event.kind, event.result_count) == ("suggested", len(found))


def test_outsiders_get_no_suggestions_from_an_internal_desk(vpn_articles, it_desk, make_user):
    assert suggest_articles(make_user(), it_desk, "VPN") == []


def test_report_counts_self_service_no_result_searches_and_failing_articles(
    support_desk, make_user
):
    article = services.create_article(support_desk, actor=None, title="A", state="published")
    user = make_user()

    def step(session, kind, **extra):
        return record_event(session, kind, desk=support_desk, user=user, **extra)

    # 1: read an article, left: self-solved.
    step("a", "suggested", query="vpn", result_count=1)
    step("a", "opened", article=article)
    step("a", "abandoned")
    # 2: read it, opened a ticket anyway: the article failed.
    step("b", "suggested", query="vpn", result_count=1)
    step("b", "opened", article=article)
    step("b", "submitted")
    # 3: nothing found, submitted.
    step("c", "suggested", query="scanner  jammed", result_count=0)
    step("c", "submitted")
    # 4: read, then silent for an hour: counted as self-solved.
    step("d", "suggested", query="vpn", result_count=1)
    step("d", "opened", article=article)
    DeflectionEvent.objects.filter(session="d").update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    # 5: still writing: not decided yet.
    step("e", "suggested", query="vpn", result_count=1)
    step("e", "opened", article=article)

    report = deflection_report([support_desk], since=timezone.now() - timedelta(days=1))
    assert (report.sessions, report.self_solved, report.submitted) == (5, 2, 2)
    assert report.self_service_rate == 0.4
    assert report.no_result_searches == [("scanner jammed", 1)]
    assert report.failing_articles == [(article, 1)]
