"""Text contrast (WCAG 2.x AA) on the key pages, as the browser paints them: every
visible piece of text against the background it actually sits on, in English and Arabic."""

import pytest

from deskline.web.tests.served import REQUESTERS, browser_marks, demo_server, sign_in

pytestmark = browser_marks(again_with_redis=False)
playwright_api = pytest.importorskip("playwright.sync_api")

AGENT = "layla.haddad@deskline.demo"

# For each element that holds text: its colour over the nearest opaque background of it
# or its ancestors (semi-transparent layers blended in), with WCAG's relative luminance.
# Large text (24px, or 18.66px bold) needs 3:1, other text 4.5:1. Text that is not
# painted (hidden, zero-sized, clipped away, off-screen) and disabled controls are
# left out, as WCAG leaves them out.
LOW_CONTRAST_JS = """
() => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const backgroundOf = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) {
        layers.push(c);
        if (c[3] >= 1) break;
      }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const luminance = (rgb) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(rgb[0]) + 0.7152 * f(rgb[1]) + 0.0722 * f(rgb[2]);
  };
  const painted = (element, style) => {
    const box = element.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) return false;
    if (box.right <= 0 || box.bottom <= 0) return false;
    if (box.left >= document.documentElement.scrollWidth) return false;
    if (style.visibility !== "visible" || style.clip === "rect(0px, 0px, 0px, 0px)") return false;
    for (let e = element; e; e = e.parentElement) {
      if (Number(getComputedStyle(e).opacity) === 0) return false;
    }
    return true;
  };
  const failures = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const text = walker.currentNode.textContent.trim();
    const element = walker.currentNode.parentElement;
    if (!text || !element || seen.has(element)) continue;
    seen.add(element);
    if (element.closest("option, script, style, template, [disabled], [hidden]")) continue;
    const style = getComputedStyle(element);
    if (!painted(element, style)) continue;
    const background = backgroundOf(element);
    const color = over(parse(style.color), background);
    const [light, dark] = [luminance(color), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      failures.push({
        text: text.slice(0, 40),
        element: element.tagName.toLowerCase() + (element.className ? "." + element.className : ""),
        color: style.color,
        background: "rgb(" + background.slice(0, 3).map(Math.round).join(", ") + ")",
        ratio: Math.round(ratio * 100) / 100,
      });
    }
  }
  return failures;
}
"""


@pytest.fixture(scope="module")
def server():
    with demo_server(tickets=8) as served:
        yield served


def _signed_in(browser, server, email: str, language: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    sign_in(page, server.url, email)
    if language != "en":
        page.select_option("#lang-select", language)
        page.wait_for_selector(f"html[lang={language}]")
    return context, page


def _low_contrast(page, base_url: str, path: str) -> list[dict]:  # type: ignore[no-untyped-def]
    page.goto(base_url + path)
    page.wait_for_load_state("networkidle")
    return [{"page": path, **found} for found in page.evaluate(LOW_CONTRAST_JS)]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_console_text_meets_aa_contrast(server, browser, language):
    context, page = _signed_in(browser, server, AGENT, language)
    page.goto(f"{server.url}/tickets/?queue=open")
    ticket = page.locator("#ticket-rows tr[data-href]").first.get_attribute("data-href")
    failures = []
    for path in ("/", "/tickets/", "/tickets/?sort=sla", ticket):
        failures += _low_contrast(page, server.url, path)
    context.close()
    assert failures == []


@pytest.mark.parametrize("language", ["en", "ar"])
def test_portal_text_meets_aa_contrast(server, browser, language):
    context, page = _signed_in(browser, server, REQUESTERS[0], language)
    page.goto(f"{server.url}/portal/")
    request = page.locator("a[href^='/portal/requests/']").first
    pages = ["/portal/", "/portal/it/"]
    if request.count():
        pages.append(request.get_attribute("href"))
    failures = []
    for path in pages:
        failures += _low_contrast(page, server.url, path)
    context.close()
    assert failures == []


def test_the_check_finds_faint_text_and_spares_large_or_hidden_text(server, browser):
    context, page = _signed_in(browser, server, AGENT, "en")
    page.goto(f"{server.url}/")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML("beforeend",
        '<p style="color:#999">faint on white</p>' +
        '<p style="background:rgba(0,0,0,.6);color:#595959">grey on a dark veil</p>' +
        '<h2 style="color:#888;font-size:32px">large grey heading</h2>' +
        '<p class="visually-hidden" style="color:#eee">hidden</p>')"""
    )
    found = {f["text"]: f["ratio"] for f in page.evaluate(LOW_CONTRAST_JS)}
    context.close()
    assert found.keys() == {"faint on white", "grey on a dark veil"}
    assert 2.6 < found["faint on white"] < 2.7  # #999 on the page background #f6f7f9
