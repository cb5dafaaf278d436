"""report.html: one self-contained page (inline CSS, no scripts, nothing fetched).

Rendered from the manifest, the findings and the collectors' results, so
``supportkit bundle report`` can re-render any bundle. Bundle data is
untrusted: the template autoescapes everything, a Content-Security-Policy
forbids scripts and any fetch, and links go only to members of the bundle
(``is_bundle_member``): never ``javascript:``, an absolute path or ``..``.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A member path as the bundle writer makes them: relative, plain names joined by "/".
_MEMBER_PART = re.compile(r"[A-Za-z0-9._-]+")


def is_bundle_member(path: Any) -> bool:
    """True for a relative path inside the bundle, safe as an ``href``: no scheme, not
    absolute, no ``..`` or ``.``, no backslash, no query or fragment characters."""
    if not isinstance(path, str) or not path or len(path) > 1024:
        return False
    parts = path.split("/")
    return all(_MEMBER_PART.fullmatch(p) and p not in (".", "..") for p in parts)

# The page's own labels in Chinese. Labels are whole texts between two tags in the
# templates; bundle data is always escaped, so it can never be taken for one.
LABELS_ZH = {
    "Findings": "发现项", "Escalation": "升级", "What was tried": "已尝试的操作",
    "Steps": "步骤", "Step": "步骤", "Instruction": "操作说明", "Fixed?": "是否解决？",
    "Outcome": "结果", "Time": "时间", "Reason": "原因", "Raw result": "原始结果",
    "Attachments": "附件", "File": "文件", "Size": "大小", "Bundle": "证据包",
    "Mount point": "挂载点", "Device": "设备", "Used": "已用", "Free": "可用",
    "Inodes": "inode", "Model · serial": "型号 · 序列号", "Verdict": "结论",
    "Temp.": "温度", "Powered on": "通电时间", "Reasons": "原因", "Hop": "跳",
    "Address": "地址", "Loss": "丢包", "Average round trip": "平均往返时间",
    "OS": "操作系统", "Host": "主机", "CPU": "CPU", "Memory": "内存", "Swap": "交换分区",
    "Time zone": "时区", "User": "用户", "Groups": "用户组", "Admin groups": "管理员组",
    "Password": "密码", "Account": "账号", "Most failures by user": "失败最多的用户",
    "By remote host": "按远程主机", "Count": "次数", "First seen": "首次出现",
    "Last seen": "最后出现", "Entries": "条目", "Read": "已读取", "Kept": "已保留",
    "Cut": "已截断", "Errors": "错误", "In the window": "时间窗口内",
    "Time span kept": "保留的时间范围", "Lines kept": "保留行数",
    "Cut or skipped": "截断或跳过", "Time span": "时间范围", "Program": "程序",
    "Unit": "单元", "Signal": "信号", "PID": "PID", "Event": "事件", "Detail": "详情",
    "Stop code": "停止代码", "Crashes": "崩溃", "Hangs": "无响应", "Last": "最近",
    "Exception": "异常", "Faulting module": "出错模块",
    "Application crashes and hangs": "应用程序崩溃与无响应",
    "No problems found by the checks of this playbook.": "本排查流程的检查未发现问题。",
    "No error lines in what was gathered.": "收集到的内容中没有错误行。",
    "not asked": "未询问", "yes": "是", "no": "否",
    "The problem": "问题", "The machine": "本机概况", "In the user's words": "用户的描述",
    "Error message": "错误信息", "Input": "输入项", "Value": "值", "From": "来源",
    "Disks": "磁盘", "entered by the user": "用户输入", "answers file": "应答文件",
    "default (nobody was asked)": "默认值（未询问任何人）",
    "not done (unattended run)": "未执行（无人值守运行）",
    "Not done (unattended run)": "未执行（无人值守运行）", "Happened": "发生时间",
    "reported": "报告时间",
}
_LABEL = None


def localise(html: str, lang: str) -> str:
    """Swap the page's own labels for ``lang`` (whole texts between tags only)."""
    import re

    global _LABEL
    if lang != "zh":
        return html
    if _LABEL is None:
        _LABEL = re.compile(">(" + "|".join(re.escape(k) for k in sorted(LABELS_ZH, key=len,
                                                                          reverse=True)) + ")<")
    return _LABEL.sub(lambda m: f">{LABELS_ZH[m.group(1)]}<", html)


# Collectors with a section of their own (``templates/sections/<name>.html.j2``); the
# others show their raw result only. Declared, not discovered: a section missing from
# the installed package is a TemplateNotFound, never a silently thinner report.
SECTIONS = frozenset({
    "account.auth_failures", "account.identity", "disk.health", "disk.usage",
    "logs.eventlog", "logs.files", "logs.journal", "logs.macos", "network.ping",
    "network.traceroute", "system.info",
})

SEVERITY_COLOURS = {"critical": "#8b0000", "high": "#c62828", "medium": "#ef6c00",
                    "low": "#f9a825", "info": "#1565c0"}


def _bar(percent: Any) -> Any:
    """A usage bar: green, amber from 80 %, red from 90 %."""
    from markupsafe import Markup

    try:
        pct = max(0.0, min(100.0, float(percent)))
    except (TypeError, ValueError):
        return ""
    colour = "#c62828" if pct >= 90 else "#ef6c00" if pct >= 80 else "#2e7d32"
    return Markup(f'<span class="bar"><span style="width:{pct:.1f}%;background:{colour}">'
                  '</span></span>')


def _duration(seconds: Any, lang: str = "en") -> str:
    from toolkit.i18n import t

    try:
        s = float(seconds)
    except (TypeError, ValueError):
        return "?"
    if s < 3600:
        return t("duration.min", lang, n=f"{s / 60:.0f}")
    if s < 2 * 86400:
        return t("duration.h", lang, n=f"{s / 3600:.1f}")
    return t("duration.days", lang, n=f"{s / 86400:.0f}")


def _size(value: Any, binary: bool, lang: str) -> str:
    """Jinja's filesizeformat, with its one English word ("0 Bytes") in ``lang``; kB, MB…
    are units in any language."""
    from jinja2.filters import do_filesizeformat

    text = do_filesizeformat(value, binary)
    if lang == "zh" and text.endswith(("Bytes", "Byte")):
        return text.rsplit(" ", 1)[0] + " 字节"
    return text


def _label(value: Any, kind: str, lang: str) -> Any:
    """A machine word (an outcome, a verdict, a status…) in ``lang`` (i18n.label)."""
    from toolkit.i18n import label

    return label(kind, value, lang)


def _category(value: Any, lang: str, titles: Any) -> Any:
    """The ticket's category in ``lang``: its title as the ticket stage wrote it into
    ``ticket_info.category_title`` (the evidence stage does not read the dictionary)."""
    if lang == "en" or not isinstance(value, str) or not isinstance(titles, dict):
        return value
    return titles.get(lang) or value


def environment(lang: str = "en", category_titles: Any = None) -> Any:
    """The templates' Jinja environment for a page in ``lang``: autoescaped, with the
    catalogue (``_``, ``label``, ``tr``) and the page's filters. ``render`` uses it,
    and so can anything that renders one section on its own."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    from toolkit.i18n import t, translate
    from toolkit.i18n.collectors_zh import collector_title

    env = Environment(loader=PackageLoader("toolkit.evidence.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.tests["bundle_member"] = is_bundle_member
    env.filters["duration"] = lambda v: _duration(v, lang)
    # The page's words come from the catalogue (toolkit/i18n), in the run's language.
    env.globals["_"] = lambda msg_id, **kw: t(msg_id, lang, **kw)
    env.filters["label"] = lambda v, kind: _label(v, kind, lang)
    env.filters["category"] = lambda v: _category(v, lang, category_titles)
    env.globals["bar"] = _bar
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False)[:200_000]
    env.globals["zh"] = lang == "zh"
    env.filters["tr"] = lambda v: translate(v, lang)  # collector prose, through the catalogue
    env.filters["collector_title"] = lambda v: collector_title(str(v), lang)
    env.filters["filesizeformat"] = lambda v, binary=False: _size(v, binary, lang)
    return env


def render(manifest: dict[str, Any], findings: list[dict[str, Any]],
           results: dict[str, Any], plain: bool = False) -> str:
    """The page. ``plain`` leaves out the per-collector sections and the machine at a
    glance, which read deep into the results (see ``render_bundle``)."""
    lang = manifest.get("lang") or "en"
    env = environment(lang, (manifest.get("ticket_info") or {}).get("category_title"))
    worst = findings[0]["severity"] if findings else None
    html = env.get_template("report.html.j2").render(
        m=manifest, findings=findings, results=results, worst=worst, colours=SEVERITY_COLOURS,
        sections=SECTIONS, plain=plain)
    return localise(html, lang)


def render_bundle(manifest: dict[str, Any], findings: list[dict[str, Any]],
                  results: dict[str, Any]) -> str:
    """The page for a bundle read back from a zip. The manifest's shape was checked when
    it was read, the results' (one schema per collector) were not: a result a section
    cannot read is shown raw only, and the page says so."""
    from jinja2 import TemplateError

    try:
        return render(manifest, findings, results)
    except (TemplateError, TypeError, ValueError, AttributeError, LookupError,
            OverflowError, RecursionError):
        return render(manifest, findings, results, plain=True)
