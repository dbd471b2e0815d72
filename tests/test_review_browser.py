"""A supervisor reviews in real Chromium: the real staff console over the real tracker store (see test_review_api)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from launcher.processes import ROOT
from tests.test_review_api import PASSWORD, console, conversations  # noqa: F401  (fixtures)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "reports" / "screenshots"
CONFIDENCE = re.compile(r"^(0\.\d\d|1\.00)$")


@pytest.fixture
def page():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        errors = []
        opened = context.new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.set_default_timeout(30_000)
        yield opened
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(SCREENSHOTS / "review-last.png"), full_page=True)
        browser.close()
        assert not errors, errors


def test_a_supervisor_filters_reviews_tags_corrects_and_reads_the_dashboard(page, console, conversations, tmp_path):
    url, legal = console["url"], conversations["legal"]
    page.goto(f"{url}/review")
    page.fill("input[name=username]", "sup-review")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Review: live conversations")

    page.select_option("select[name=tone]", "legal")
    page.click("form.review-filters button[type=submit]")
    expect(page).to_have_url(f"{url}/review?tone=legal")
    row = page.locator(f"tr[data-conversation='{legal}']")
    expect(row).to_be_visible()
    expect(page.locator(f"tr[data-conversation='{conversations['dispute']}']")).to_have_count(0)
    row.locator("a").click()

    expect(page.locator("h1")).to_have_text(f"Conversation {legal}")
    first = page.locator("li.turn.debtor").first
    expect(first.locator("strong.intent")).to_have_text("greet")
    expect(first.locator(".confidence").first).to_have_text(CONFIDENCE)
    expect(page.locator("li.turn.assistant .tone", has_text="legal").first).to_be_visible()

    page.fill("input[name=add]", "legal-review, <i>html</i>")
    page.click("button:has-text('Add tags')")
    expect(page.locator("#tags .tag", has_text="legal-review")).to_be_visible()
    expect(page.locator("#tags .tag", has_text="<i>html</i>")).to_be_visible()
    page.select_option("form[action$='/review'] select[name=status]", "reviewed")
    page.click("button:has-text('Set status')")
    expect(page.locator("#review-status")).to_have_text("reviewed")

    page.goto(f"{url}/review?status=reviewed")
    expect(page.locator(f"tr[data-conversation='{legal}'] .review-status")).to_have_text("reviewed")

    page.goto(f"{url}/review/conversations/{legal}")
    boss = page.locator("li.turn.debtor", has_text="my boss is away")
    boss.locator("select[name=intent]").select_option("objection_signatory_left")
    boss.locator("button", has_text="Correct").click()
    expect(page.locator("li.turn.debtor", has_text="my boss is away").locator("strong.corrected")).to_have_text(
        "objection_signatory_left")
    out = tmp_path / "corrections.yml"
    subprocess.run(["make", "-s", "-o", "setup", "-o", ".venv/.stamp-deps", "export-annotations", f"OUT={out}"],
                   cwd=ROOT, env=console["env"], check=True)
    exported = out.read_text()
    assert "- intent: objection_signatory_left" in exported and "- my boss is away" in exported

    page.goto(f"{url}/review/dashboard?from=2026-01-01&to=2026-12-31")
    canvases = page.locator("canvas.chart")
    expect(canvases.first).to_be_visible()
    assert canvases.count() >= 9
    for index in range(canvases.count()):
        canvas = canvases.nth(index)
        expect(canvas).to_have_attribute("data-rendered", "yes")
        box = canvas.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50
        assert canvas.evaluate("c => Chart.getChart(c) !== undefined")
    expect(page.locator("table.chart-table").first.locator("tbody tr").first).to_be_visible()
