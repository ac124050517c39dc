"""Screenshots of the main pages in English, Arabic and Chinese, for the README.

Starts a real `deskline serve` on demo data (as the browser tests do) and drives
Debian's Chromium: .venv/bin/python bench/screenshots.py  → docs/screenshots/*.png
"""

import re
from pathlib import Path

from playwright.sync_api import sync_playwright

from deskline.web.tests.served import CHROMIUM, CHROMIUM_ARGS, demo_server, sign_in

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
AGENTS = {"en": "layla.haddad@deskline.demo", "ar": "omar.farouk@deskline.demo"}
AGENTS["zh-hans"] = "wang.wei@deskline.demo"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with demo_server(tickets=20) as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for language, email in AGENTS.items():
            page = browser.new_page(viewport={"width": 1100, "height": 750})
            sign_in(page, served.url, email)
            page.screenshot(path=OUT / f"home-{language}.png")
            page.goto(f"{served.url}/tickets/?queue=open&desk=it")
            page.screenshot(path=OUT / f"list-{language}.png")
            page.click("#ticket-rows tr[data-href] a")
            page.wait_for_url(re.compile(r"/tickets/[A-Z]+-\d+/$"))
            page.screenshot(path=OUT / f"ticket-{language}.png")
            page.close()
        page = browser.new_page(viewport={"width": 390, "height": 800})
        sign_in(page, served.url, "james.wilson@meridian.example")
        page.goto(f"{served.url}/portal/it/")
        page.screenshot(path=OUT / "portal-form-phone-en.png")
        browser.close()
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
