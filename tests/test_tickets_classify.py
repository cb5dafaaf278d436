"""Classification of real-sounding requests, English and Chinese, into the
docs/support-process.md categories (the dictionary is toolkit/tickets/classification.yaml)."""

from __future__ import annotations

import json

import pytest

from toolkit.tickets.classify import classify

PHRASES = [
    # hardware
    ("My laptop shows a blue screen every morning when I start it", "hardware"),
    ("The PC won't boot, it says no boot device found", "hardware"),
    ("The hard drive is making clicking noises", "hardware"),
    ("Printer on the 3rd floor keeps jamming paper", "hardware"),
    ("My second monitor flickers and goes black", "hardware"),
    ("Laptop battery doesn't charge past 40%", "hardware"),
    ("电脑蓝屏了，重启后还是一样", "hardware"),
    ("硬盘有异响，文件打不开", "hardware"),
    ("打印机卡纸，一直打印不出来", "hardware"),
    ("笔记本开不了机，按电源键没反应", "hardware"),
    # software
    ("Outlook crashes whenever I open an attachment", "software"),
    ("Excel stopped responding after the latest update", "software"),
    ("The app closes by itself right after login screen appears", "software"),
    ("Installation of the VPN client fails with error 1603", "software"),
    ("Chrome is very slow and uses 100% CPU", "software"),
    ("软件一打开就闪退", "software"),
    ("升级后这个插件不兼容了", "software"),
    ("程序经常无响应，只能强制关闭", "software"),
    # account
    ("I forgot my password and can't log in", "account"),
    ("My account is locked after too many attempts", "account"),
    ("Access denied when opening the finance shared folder", "account"),
    ("New employee needs an account for the CRM on Monday", "account"),
    ("The MFA verification code never arrives", "account"),
    ("忘记密码了，怎么重置", "account"),
    ("账号被锁定，无法登录系统", "account"),
    ("没有权限访问共享文件夹，提示拒绝访问", "account"),
    # network
    ("The whole department has no internet since 9am", "network"),
    ("Wi-Fi keeps dropping every few minutes in meeting room B", "network"),
    ("VPN connects but I cannot reach internal sites, DNS fails", "network"),
    ("High packet loss to the branch office server", "network"),
    ("办公室网络经常掉线", "network"),
    ("无法上网，网线插好了也不行", "network"),
    ("网速很慢，下载文件特别慢，延迟很高", "network"),
    # howto
    ("How do I set up an out-of-office reply?", "howto"),
    ("Where can I find the guide for the new expense feature?", "howto"),
    ("Is there a way to share my calendar with the team?", "howto"),
    ("新功能怎么使用？有没有教程", "howto"),
    ("请问如何设置邮件签名", "howto"),
    ("建议在报销系统里增加批量提交功能", "howto"),
    # data
    ("Orders are not syncing from the webshop to the ERP since yesterday", "data"),
    ("The API integration with the payment provider returns 500 errors", "data"),
    ("The monthly report shows wrong totals and duplicate rows", "data"),
    ("Customer records disappeared after the import", "data"),
    ("数据同步失败，客户系统里看不到新订单", "data"),
    ("接口调用失败，对接的第三方系统一直报错", "data"),
    ("报表里的金额对不上，有重复记录", "data"),
]


def test_there_are_enough_phrases_in_both_languages() -> None:
    zh = [p for p, _ in PHRASES if any("\u4e00" <= ch <= "\u9fff" for ch in p)]
    assert len(PHRASES) >= 30 and len(zh) >= 15 and len(PHRASES) - len(zh) >= 15
    assert {c for _, c in PHRASES} == {"hardware", "software", "account", "network", "howto",
                                       "data"}


@pytest.mark.parametrize("text,category", PHRASES)
def test_phrase_is_classified(text: str, category: str) -> None:
    got = classify(text)
    assert got["category"] == category, (text, got)
    assert got["subcategory"] and got["matched"] and 0 < got["confidence"] <= 1


def test_accuracy_summary() -> None:
    hits = sum(classify(t)["category"] == c for t, c in PHRASES)
    assert hits == len(PHRASES)


def test_nothing_matched_is_said_plainly(cli) -> None:
    got = classify("lorem ipsum dolor")
    assert got["category"] is None and got["confidence"] == 0.0
    r = cli("ticket", "classify", "lorem", "ipsum")
    assert r.code == 0 and "No category matched" in r.out


def test_cli_json_shape_and_playbook(cli) -> None:
    r = cli("ticket", "classify", "The hard drive is making clicking noises", "--json")
    assert r.code == 0
    doc = json.loads(r.out)
    assert {"category", "subcategory", "playbook", "confidence", "matched"} <= set(doc)
    assert (doc["category"], doc["subcategory"], doc["playbook"]) == (
        "hardware", "disk", "hardware-failure")
    doc = json.loads(cli("ticket", "classify", "我的密码过期了", "--json").out)
    assert doc["category"] == "account" and doc["playbook"] == "account-permission"
    doc = json.loads(cli("ticket", "classify", "how do I use the new feature", "--json").out)
    assert doc["category"] == "howto" and doc["playbook"] is None


def test_ticket_new_uses_the_dictionary_unless_a_category_is_given(cli) -> None:
    r = cli("ticket", "new", "--title", "办公室网络经常掉线", "--no-collect", "--json")
    doc = json.loads(r.out)
    assert (doc["category"], doc["subcategory"]) == ("network", "intermittent")
    assert doc["classification"]["source"] == "dictionary"
    assert "掉线" in doc["classification"]["matched"]
    r = cli("ticket", "new", "--title", "办公室网络经常掉线", "--category", "hardware",
            "--no-collect", "--json")
    doc = json.loads(r.out)
    assert doc["category"] == "hardware" and doc["classification"]["source"] == "given"
    r = cli("ticket", "new", "--title", "x", "--category", "weather", "--no-collect")
    assert r.code == 2 and "hardware, software, account, network, howto, data" in r.err


def test_a_site_dictionary_replaces_the_shipped_one(_isolated_home) -> None:
    _isolated_home.mkdir(parents=True, exist_ok=True)
    (_isolated_home / "classification.yaml").write_text(
        "categories:\n  hardware:\n    subcategories:\n      badge:\n"
        "        playbook: []\n        en: [badge reader]\n        zh: [门禁]\n",
        encoding="utf-8")
    assert classify("the badge reader at the door is dead")["subcategory"] == "badge"
    assert classify("门禁坏了")["category"] == "hardware"
    assert classify("I forgot my password")["category"] is None
