"""The pages in a real browser (Debian's Chromium driven by Playwright) against a real
`deskline serve` on demo data: agents work tickets in each language, a requester asks
and follows, Arabic mirrors, and two sessions see each other's changes live."""

import os
import re
import subprocess
import sys

import pytest

from deskline.web.tests.served import browser_marks, demo_server, sign_in

pytestmark = browser_marks()
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def server():
    with demo_server(tickets=20) as served:
        yield served


def _context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    return context


@pytest.mark.parametrize(
    ("email", "language", "solved_label", "row"),
    [
        ("layla.haddad@deskline.demo", "en", "Solved", 1),
        ("omar.farouk@deskline.demo", "ar", "تم الحل", 2),
        ("wang.wei@deskline.demo", "zh-hans", "已解决", 3),
    ],
)
def test_agent_works_a_ticket_from_queue_to_solved(
    server, browser, email, language, solved_label, row
):
    context = _context(browser)
    page = context.new_page()
    sign_in(page, server.url, email)
    assert page.locator("html").get_attribute("lang") == language
    page.click("a[href='/tickets/?queue=open']")
    page.wait_for_selector("#ticket-rows tr[data-href]")
    # The IT desk, where all three are agents (some are light agents elsewhere).
    page.select_option("#f-desk", "it")
    page.click(".filters form.grid button[type=submit]")
    page.wait_for_url(re.compile(r"desk=it"))
    # Keyboard: j moves down the rows (each language takes its own), Enter opens one.
    for _ in range(row):
        page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/tickets/[A-Z]+-\d+/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[1]
    reply = f"Checked the logs for {number}; please restart and tell us."
    page.fill("#reply-body", reply)
    page.click("#reply-form button[type=submit]")
    page.wait_for_selector(f"#timeline >> text={reply}")
    page.select_option("#p-assignee", index=1)
    page.select_option("#p-status", "solved")
    page.click("#fields-form button[type=submit]")
    page.wait_for_load_state()
    assert page.inner_text("#ticket-status").strip() == solved_label
    assert page.inner_text("#ticket-assignee").strip() not in ("", "—")
    context.close()


def test_requester_asks_and_sees_the_reply_live(server, browser):
    requester = _context(browser).new_page()
    sign_in(requester, server.url, "james.wilson@meridian.example")
    requester.goto(f"{server.url}/portal/it/")
    requester.fill("#r-subject", "Laptop fan is very loud")
    requester.fill("#r-description", "broken")
    requester.click("#request-form button[type=submit]")
    assert requester.locator("#e-description").is_visible()
    assert requester.input_value("#r-subject") == "Laptop fan is very loud"
    requester.fill(
        "#r-description",
        "Since this morning the fan of my ThinkPad runs at full speed even when idle.",
    )
    requester.click("#request-form button[type=submit]")
    requester.wait_for_url(re.compile(r"/portal/requests/IT-\d+/$"))
    number = requester.url.rstrip("/").rsplit("/", 1)[1]

    agent_a = _context(browser).new_page()
    sign_in(agent_a, server.url, "layla.haddad@deskline.demo")
    agent_a.goto(f"{server.url}/tickets/{number}/")
    agent_b = _context(browser).new_page()
    sign_in(agent_b, server.url, "khaled.alotaibi@deskline.demo")
    agent_b.goto(f"{server.url}/tickets/{number}/")
    # Collision detection: each agent sees the other on the ticket.
    agent_a.wait_for_selector("#presence >> text=خالد العتيبي", timeout=10000)
    agent_b.fill("#reply-body", "typing")
    agent_b.dispatch_event("#reply-body", "input")
    agent_a.wait_for_selector("#presence >> text=writing a reply", timeout=10000)

    # Agent A replies; the requester's page and agent B's page show it without reload.
    agent_a.fill("#reply-body", "Please update the BIOS from the Lenovo Vantage app.")
    agent_a.click("#reply-form button[type=submit]")
    requester.wait_for_selector("text=Please update the BIOS", timeout=10000)
    agent_b.wait_for_selector("#timeline >> text=Please update the BIOS", timeout=10000)

    # Agent B wrote against the old timeline: the server warns before sending.
    agent_b.fill("#reply-body", "Did you try turning it off and on?")
    agent_b.click("#reply-form button[type=submit]")
    agent_b.wait_for_selector("#reply-warning")
    assert agent_b.input_value("#reply-body") == "Did you try turning it off and on?"
    agent_b.check("input[name=send_anyway]")
    agent_b.click("#reply-form button[type=submit]")
    agent_b.wait_for_selector("#timeline >> text=Did you try turning it off")
    requester.wait_for_selector("text=Did you try turning it off", timeout=10000)


@pytest.mark.parametrize(
    ("requester_email", "agent_email", "language", "direction", "subject", "description"),
    [
        (
            "ahmed.alrashid@meridian.example",
            "omar.farouk@deskline.demo",
            "ar",
            "rtl",
            "لا أستطيع الاتصال بشبكة VPN",
            "منذ صباح اليوم يظهر خطأ 809 عند الاتصال بشبكة VPN من المنزل، "
            "وكان يعمل أمس بشكل طبيعي.",
        ),
        (
            "liu.yang@meridian.example",
            "wang.wei@deskline.demo",
            "zh-hans",
            "ltr",
            "无法连接 VPN",
            "从今天早上开始，在家连接公司 VPN 时一直提示错误 809，昨天还可以正常使用。",
        ),
    ],
)
def test_requester_asks_and_follows_in_arabic_and_chinese(
    server, browser, requester_email, agent_email, language, direction, subject, description
):
    requester = _context(browser).new_page()
    sign_in(requester, server.url, requester_email)
    requester.goto(f"{server.url}/portal/it/")
    html = requester.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == (language, direction)
    requester.fill("#r-subject", subject)
    requester.fill("#r-description", description[:8])
    requester.click("#request-form button[type=submit]")
    assert requester.locator("#e-description").is_visible()
    requester.fill("#r-description", description)
    requester.click("#request-form button[type=submit]")
    requester.wait_for_url(re.compile(r"/portal/requests/IT-\d+/$"))
    number = requester.url.rstrip("/").rsplit("/", 1)[1]
    assert subject in requester.inner_text("main")

    agent = _context(browser).new_page()
    sign_in(agent, server.url, agent_email)
    agent.goto(f"{server.url}/tickets/{number}/")
    agent.wait_for_selector(f"#timeline >> text={description[:20]}")
    answer = f"{number}: 809 — please reinstall the VPN profile from the portal."
    agent.fill("#reply-body", answer)
    agent.click("#reply-form button[type=submit]")
    # The requester's open page shows the answer without reload, and their reply
    # reaches the agent's open page the same way.
    requester.wait_for_selector(f"text={answer}", timeout=10_000)
    requester.fill("#reply-body", f"{subject} — OK")
    requester.click("#reply-form button[type=submit]")
    agent.wait_for_selector(f"#timeline >> text={subject} — OK", timeout=10_000)


def _x(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["x"]


def test_arabic_mirrors_the_layout(server, browser):
    page = _context(browser).new_page()
    sign_in(page, server.url, "layla.haddad@deskline.demo")
    # Her own desk: on HR she only reads, and the side panel's fields are for editors
    # (which ticket comes first depends on what the other tests changed before).
    page.goto(f"{server.url}/tickets/?desk=it")
    page.click("#ticket-rows tr[data-href] a")
    page.wait_for_selector(".ticket-side")
    assert page.locator("html").get_attribute("dir") == "ltr"
    ltr = {
        "brand": _x(page, ".brand"),
        "side": _x(page, ".ticket-side"),
        "main": _x(page, ".ticket-main"),
    }
    page.select_option("#lang-select", "ar")
    page.wait_for_selector("html[dir=rtl]")
    rtl = {
        "brand": _x(page, ".brand"),
        "side": _x(page, ".ticket-side"),
        "main": _x(page, ".ticket-main"),
    }
    assert ltr["brand"] < 100 < rtl["brand"]
    assert ltr["main"] < ltr["side"]
    assert rtl["side"] < rtl["main"]
    assert "الحالة" in page.inner_text(".ticket-side")
    page.select_option("#lang-select", "zh-hans")
    page.wait_for_selector("html[lang=zh-hans][dir=ltr]")
    assert "状态" in page.inner_text(".ticket-side")


def _open_first_ticket(page, base_url: str) -> str:
    page.goto(f"{base_url}/tickets/?desk=it")
    page.click("#ticket-rows tr[data-href] a")
    page.wait_for_selector(".ticket-side")
    return page.url.rstrip("/").rsplit("/", 1)[1]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_phone_width_pages_do_not_scroll_sideways(server, browser, language):
    context = browser.new_context(viewport={"width": 375, "height": 800}, device_scale_factor=2)
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, server.url, "layla.haddad@deskline.demo")
    if language != "en":
        page.select_option("#lang-select", language)
        page.wait_for_selector(f"html[lang={language}]")
    _open_first_ticket(page, server.url)
    for url in (page.url, f"{server.url}/tickets/", f"{server.url}/"):
        page.goto(url)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 375, f"{url} is {wide}px wide at 375px ({language})"
    context.close()


def test_a_canned_response_goes_into_the_reply_box(server, browser):
    context = _context(browser)
    page = context.new_page()
    sign_in(page, server.url, "layla.haddad@deskline.demo")
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    created = page.request.post(
        f"{server.url}/api/v1/macros",
        data={
            "desk": "it",
            "name": "Ask for logs",
            "scope": "personal",
            "replies": {"en": "Please send the logs for {{ticket.number}}."},
        },
        headers={"X-CSRFToken": csrf, "Referer": server.url},
    )
    assert created.status == 201, created.text()
    number = _open_first_ticket(page, server.url)
    page.fill("#reply-body", "Hello,\n")
    page.select_option("#macro-pick", label="Ask for logs")
    page.click("#macro-insert")
    page.wait_for_function(
        "document.getElementById('reply-body').value.includes('logs for')", timeout=10_000
    )
    # Added at the cursor after what was typed; nothing was sent.
    assert page.input_value("#reply-body") == f"Hello,\nPlease send the logs for {number}."
    assert f"Please send the logs for {number}" not in page.inner_text("#timeline")
    context.close()


def _run_beside_the_server(server, script: str) -> str:
    """Run Python in another process on the served site's data (as the worker would),
    so what it changes must travel the live path to reach open pages; its output."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DESKLINE_DATA_DIR=str(server.data_dir), DESKLINE_SECRET_KEY="browser-test-secret")
    done = subprocess.run(
        [sys.executable, "-m", "deskline", "shell", "-c", script],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def _notify_in_another_process(server, email: str, text: str) -> None:
    _run_beside_the_server(
        server,
        "from deskline.accounts.models import User\n"
        "from deskline.notifications.services import notify\n"
        f"notify([User.objects.get(email={email!r}).pk], 'mention', {text!r})\n",
    )


def _notify_until_shown(page, server, text: str) -> int:
    """Notify the open page's user until one shows on the page; how many were sent.
    The socket may still be joining its group: a later notification is then the one shown."""
    for attempt in range(1, 6):
        numbered = f"{text} ({attempt})"
        _notify_in_another_process(server, "khaled.alotaibi@deskline.demo", numbered)
        try:
            page.wait_for_selector(f".toast >> text={numbered}", timeout=4_000)
            return attempt
        except playwright_api.TimeoutError:
            continue
    pytest.fail("no notification reached the open page")


def test_a_new_notification_shows_on_the_open_page_without_reload(server, browser):
    context = _context(browser)
    page = context.new_page()
    with page.expect_websocket(lambda ws: ws.url.endswith("/ws/me/")):
        sign_in(page, server.url, "khaled.alotaibi@deskline.demo")
    before = int(page.get_attribute("#notification-badge", "data-unread"))
    page.evaluate("window.notLoadedAgain = true")
    sent = _notify_until_shown(page, server, "Layla mentioned you on IT-1")
    after = int(page.get_attribute("#notification-badge", "data-unread"))
    assert after == before + sent
    assert page.locator("#notification-badge .badge").inner_text() == str(after)
    assert page.evaluate("window.notLoadedAgain") is True
    context.close()


def _rekey_session(server, key: str) -> str:
    """Give the session a new key as Django does on its next request after the secret
    key was rotated (the old key stays in SECRET_KEY_FALLBACKS): the old session row goes,
    the same data lives on under the new key. Returns the new key."""
    script = (
        "from importlib import import_module\n"
        "from django.conf import settings\n"
        f"session = import_module(settings.SESSION_ENGINE).SessionStore({key!r})\n"
        "session.cycle_key()\n"
        "print(session.session_key)\n"
    )
    return _run_beside_the_server(server, script).split()[-1]  # after the shell's banner


def test_an_open_page_reconnects_after_its_session_is_rekeyed(server, browser):
    """The socket of a page whose session got a new key closes (its old session is
    gone), and the page opens a new one with the cookie it holds now, so its
    notifications keep coming without a reload."""
    context = _context(browser)
    page = context.new_page()
    with page.expect_websocket(lambda ws: ws.url.endswith("/ws/me/")):
        sign_in(page, server.url, "khaled.alotaibi@deskline.demo")
    page.evaluate("window.notLoadedAgain = true")
    (cookie,) = [c for c in context.cookies() if c["name"] == "sessionid"]
    new_key = _rekey_session(server, cookie["value"])
    assert new_key.isalnum() and new_key != cookie["value"], new_key
    # What the response to that request sets.
    context.add_cookies([{"name": "sessionid", "value": new_key, "url": server.url}])
    with page.expect_websocket(lambda ws: ws.url.endswith("/ws/me/"), timeout=30_000):
        # The old socket hears of the end at its next event.
        _notify_in_another_process(server, "khaled.alotaibi@deskline.demo", "Wake the socket")
    _notify_until_shown(page, server, "Noura mentioned you on IT-2")
    assert page.evaluate("window.notLoadedAgain") is True
    context.close()
