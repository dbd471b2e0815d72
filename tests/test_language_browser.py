"""The debtor page's language switch in real Chromium: it offers English, Español and 中文, the assistant
continues in the chosen language, the choice is remembered, and a Chinese conversation fits a 360 px phone."""
import io
import re

import pytest
from playwright.sync_api import expect

from actions.ledger import AccountRepository
from commands.import_accounts import import_accounts
from tests.test_widget_browser import (BOT, DESKTOP, PHONE, assert_clean, browser, new_context,  # noqa: F401
                                       open_page, screenshot, send, texts, wait_for_reply)

CJK = re.compile(r"[\u4e00-\u9fff]")
LEDGER = ("account_id,full_name,date_of_birth,balance,currency,due_date,legal_action_allowed,broken_promises,language\n"
          "AC-77201,王芳,1980-04-12,1250.00,USD,2026-10-11,false,0,zh\n")


@pytest.fixture(scope="module")
def chinese_account(stack):
    import_accounts(io.StringIO(LEDGER), AccountRepository(stack.db_url))
    return "AC-77201"


def test_the_switch_offers_three_languages_and_the_choice_is_remembered(stack, new_context):
    context = new_context(DESKTOP)
    page = open_page(context, stack)
    wait_for_reply(page, 0)
    switch = page.locator("#language")
    expect(switch).to_be_visible()
    assert page.locator("#language option").all_inner_texts() == ["English", "Español", "中文"]
    assert not CJK.search(texts(page, BOT)[-1])

    before = page.locator(BOT).count()
    switch.select_option("es")
    wait_for_reply(page, before)
    assert "cuenta" in texts(page, BOT)[-1].lower(), texts(page, BOT)
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.locator("#send")).to_have_text("Enviar")

    page.reload()
    expect(page.locator("#language")).to_have_value("es")
    page.click("#new-conversation")
    page.wait_for_load_state()
    wait_for_reply(page, 0)
    expect(page.locator("#language")).to_have_value("es")
    assert "cuenta" in texts(page, BOT)[-1].lower(), "a new chat starts in the remembered language"
    assert_clean(page)


def test_a_chinese_conversation_renders_on_a_360px_phone(stack, new_context, chinese_account):
    page = open_page(new_context(PHONE), stack, f"/?account={chinese_account}")
    wait_for_reply(page, 0)
    before = page.locator(BOT).count()
    page.locator("#language").select_option("zh")
    wait_for_reply(page, before)
    assert "出生日期" in texts(page, BOT)[-1], texts(page, BOT)
    send(page, "1980年4月12日")
    expect(page.locator(BOT, has_text="1,250.00美元").first).to_be_visible()
    send(page, "下个月再还吧")
    said = texts(page, BOT)
    assert CJK.search(said[-1]) and any("1,250.00美元" in t for t in said[-3:]), said
    expect(page.locator("#log .quick-reply:enabled").first).to_be_visible()
    assert CJK.search(page.locator("#log .quick-reply:enabled").first.inner_text())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator("#send").bounding_box()
    assert box and box["x"] + box["width"] <= 360
    switch = page.locator("#language").bounding_box()
    assert switch and switch["x"] + switch["width"] <= 360
    screenshot(page, "phone-conversation-zh")
    assert_clean(page)
