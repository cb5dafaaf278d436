"""The message catalogue's ``translate``: English texts the runner and collectors wrote
into a manifest, shown later in Chinese, whole or not at all."""

from __future__ import annotations

from toolkit.i18n import known, translate


def test_a_reason_inside_a_reason_is_translated_at_both_levels() -> None:
    # "{collector} does not run on {platform}" fits the whole text too, cutting through
    # the brackets; the template that keeps them whole is the right one.
    text = "no data to check: step 'eventlog' skipped (logs.eventlog does not run on linux)"
    assert translate(text, "zh") == \
        "没有可检查的数据：步骤 'eventlog' 已跳过（logs.eventlog 不能在 linux 上运行）"


def test_parts_and_unknown_texts() -> None:
    assert translate("skipped by --skip; not selected by --only", "zh") == \
        "已用 --skip 跳过；未被 --only 选中"
    assert translate("/var/log/app.log: Permission denied", "zh") == \
        "/var/log/app.log: Permission denied"  # no template: shown as it is
    assert translate("condition is false: inputs.x", "en") == "condition is false: inputs.x"
    assert known("condition is false: inputs.x")
    assert not known("something nobody wrote a template for")
