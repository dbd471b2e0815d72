"""The debtor page's language switch in real Chromium: it offers English, Español and 中文, the assistant
confirms once and continues in the chosen language, the page's own words (offline banner included) follow it,
the choice is remembered, and a Chinese conversation fits a 360 px phone."""
import io
import re

import pytest
from playwright.sync_api import expect

from actions.ledger import AccountRepository
from commands.import_accounts import import_accounts
from tests.test_widget_browser import (BOT, DESKTOP, PHONE, USER, assert_clean, browser,  # noqa: F401
                                       new_context, open_page, screenshot, send, texts, wait_for_reply)

CJK = re.compile(r"[\u4e00-\u9fff]")
OFFLINE_ZH = "暂时无法连接助手，正在重试…… 恢复连接后会发送您的消息。"
PENDING_ZH = "尚未发送——恢复连接后会自动发送。"
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


def test_switching_to_chinese_turns_the_page_and_the_assistant_chinese_even_offline(stack, new_context):
    page = open_page(new_context(PHONE), stack)
    wait_for_reply(page, 0)
    before = page.locator(BOT).count()
    page.locator("#language").select_option("zh")
    wait_for_reply(page, before)
    said = texts(page, BOT)[before:]
    assert said[0] == "好的，我们用中文继续。" and len(said) == 2, said
    assert "账户编号" in said[1], "carries on: asks again for the account reference, in Chinese"
    assert page.locator(USER).count() == 0, "the switch is not shown as something the debtor said"

    assert page.evaluate("document.documentElement.lang") == "zh"
    expect(page.locator("#send")).to_have_text("发送")
    expect(page.locator("#new-conversation")).to_have_text("新对话")
    expect(page.locator("#message")).to_have_attribute("placeholder", "请输入消息")
    expect(page.locator("#safety")).to_have_text("请勿在此输入银行卡号或密码。")
    assert page.locator("label[for=message]").text_content() == "您的消息"

    # The assistant stops answering: the page's banner and the queued message's note are Chinese too.
    page.route("**/api/message", lambda route: route.abort())
    page.route("**/healthz", lambda route: route.abort())
    page.fill("#message", "AC-10023")
    page.press("#message", "Enter")
    expect(page.locator("#banner")).to_have_text(OFFLINE_ZH)
    expect(page.locator("#log .msg.user.pending .status")).to_have_text(PENDING_ZH)
    screenshot(page, "phone-offline-zh")

    page.unroute("**/api/message")
    page.unroute("**/healthz")
    expect(page.locator("#banner")).to_be_empty()
    expect(page.locator(BOT, has_text="出生日期").first).to_be_visible()
    assert page.locator("#log .msg.pending").count() == 0
    assert page.dialogs == [] and not [p for p in page.problems if p.startswith("page error")], page.problems


def test_asking_for_spanish_by_name_turns_the_page_spanish_too(stack, new_context):
    context = new_context(DESKTOP)
    page = open_page(context, stack)
    wait_for_reply(page, 0)
    before = page.locator(BOT).count()
    send(page, "¿podemos hablar en español?")
    said = texts(page, BOT)[before:]
    assert said[0] == "De acuerdo, seguimos en español.", said
    expect(page.locator("#language")).to_have_value("es")
    expect(page.locator("#send")).to_have_text("Enviar")
    assert page.evaluate("document.documentElement.lang") == "es"
    page.reload()
    expect(page.locator("#language")).to_have_value("es")
    expect(page.locator("#message")).to_have_attribute("placeholder", "Escriba su mensaje")
    assert_clean(page)
