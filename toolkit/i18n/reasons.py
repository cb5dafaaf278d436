"""Templates of the English texts the runner, the trust rules and the ticket store
write (into manifests, onto stderr), with their Chinese. See the package docstring.
"""

from __future__ import annotations

REASONS: tuple[tuple[str, str], ...] = (
    # the runner, as the manifest keeps it
    ("skipped by --skip", "已用 --skip 跳过"),
    ("not selected by --only", "未被 --only 选中"),
    ("condition is false: {expr}", "条件不满足：{expr}"),
    ("condition needs data that is missing: {what}", "条件所需的数据缺失：{what}"),
    ("condition could not be evaluated: {what}", "无法计算条件：{what}"),
    ("not needed: step {step} fixed the problem", "无需执行：步骤 {step} 已解决问题"),
    ("{collector} does not run on {platform}", "{collector} 不能在 {platform} 上运行"),
    ("collector {name} is not installed", "未安装采集器 {name}"),
    ("parameters need missing data: {what}", "参数所需的数据缺失：{what}"),
    ("bad parameters: {what}", "参数有误：{what}"),
    ("answer not usable: {what}", "回答无法使用：{what}"),
    ("no data to check: {what}", "没有可检查的数据：{what}"),
    ("step '{step}' {outcome} ({reason})", "步骤 '{step}' {outcome}（{reason}）"),
    ("step '{step}' has not run", "步骤 '{step}' 尚未运行"),
    ("step '{step}' {outcome}", "步骤 '{step}' {outcome}"),
    ("check could not be evaluated: {what}", "无法执行检查：{what}"),
    ("escalate.when failed: {what}", "升级条件计算失败：{what}"),
    ("skipped", "已跳过"), ("failed", "失败"), ("timed_out", "超时"),
    ("fixed it", "已解决"), ("not fixed", "未解决"),
    # trust (toolkit/playbook/trust.py)
    ("{name} can {what}, and {why} — trust it with 'supportkit run --trust' or under "
     "trust.playbooks in config.yaml",
     "{name} 可以{what}，而{why}——如信任它，请使用 'supportkit run --trust' 或在 config.yaml "
     "的 trust.playbooks 中列出"),
    ("run any command", "运行任意命令"), ("read any file", "读取任意文件"),
    ("capture network traffic", "抓取网络流量"),
    ("nobody said the playbook is trusted", "没有人声明该排查流程可信"),
    ("playbook {id} is not shipped, not listed under trust.playbooks in config.yaml, and "
     "--trust was not given",
     "排查流程 {id} 不是内置的，未列在 config.yaml 的 trust.playbooks 中，也没有给出 --trust"),
    # the ticket store after a run (toolkit/tickets/__init__.py)
    ("note: no ticket store at {db}; the bundle is named after {id} only",
     "提示：{db} 处没有工单库；证据包仅以 {id} 命名"),
    ("note: ticket {id} is not in {db}; the bundle is named after it only",
     "提示：工单 {id} 不在 {db} 中；证据包仅以它命名"),
    ("Recorded in {id} (resolved by step {step}).", "已记录到 {id}（由步骤 {step} 解决）。"),
    ("Recorded in {id} (status {status}).", "已记录到 {id}（状态 {status}）。"),
    ("warning: the run was not recorded in {id}: {why} (attach it later: supportkit ticket "
     "attach {id} {path})",
     "警告：本次运行未记录到 {id}：{why}（稍后可附加：supportkit ticket attach {id} {path}）"),
    # errors a run can end with (shown as "Error: …")
    ("cannot read answers file {path}: {why} — check the path",
     "无法读取应答文件 {path}：{why}——请检查路径"),
    ("no playbook named and no problem described — give a PLAYBOOK ('supportkit playbook "
     "list') or --symptom 'what happens'",
     "没有指定排查流程，也没有描述问题——请给出排查流程（'supportkit playbook list'）或 "
     "--symptom '发生了什么'"),
    ("no playbook '{ref}' — 'supportkit playbook list' shows them",
     "没有排查流程 '{ref}'——'supportkit playbook list' 会列出它们"),
    ("no playbook '{ref}' (did you mean '{other}'?) — 'supportkit playbook list' shows them",
     "没有排查流程 '{ref}'（您是想输入 '{other}' 吗？）——'supportkit playbook list' 会列出它们"),
    ("cannot attach {path}: not a readable file — check the path",
     "无法附加 {path}：不是可读取的文件——请检查路径"),
    # what an escalation needs (a playbook's escalate.resources, shipped playbooks)
    ("identity and access administrator", "身份与访问管理员"),
    ("manager approval for access changes", "主管对权限变更的批准"),
    ("hardware engineer", "硬件工程师"),
    ("replacement part", "替换部件"),
    ("crash dump analysis", "崩溃转储分析"),
    ("application developer", "应用开发人员"),
    ("API server logs for the failure time", "故障时段的 API 服务器日志"),
    ("a test account", "一个测试账号"),
    ("replacement disk", "替换硬盘"),
    ("backup storage", "备份存储"),
    ("second-line engineer", "二线工程师"),
    ("remote session", "远程会话"),
    ("product specialist", "产品专家"),
    ("network engineer", "网络工程师"),
    ("switch and router access", "交换机和路由器的访问权限"),
    ("the per-hop trace in the bundle", "证据包中的逐跳路径记录"),
    ("developer of the program", "该程序的开发人员"),
    ("the program's version and configuration", "该程序的版本和配置"),
    ("the log slices and top error patterns in this bundle",
     "此证据包中的日志片段和最常见的错误模式"),
)
