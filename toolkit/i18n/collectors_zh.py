"""The collectors' words in Chinese: a short title per collector, and templates of the
reasons they give (``Skipped``/``Failed``) and of the prose inside their results
(SMART reasons, access verdicts). The English side must be the collector's text
exactly, with ``{name}`` where it inserts something: ``tests/test_i18n.py`` builds
every reason from the collectors' source and fails on one no template matches.
"""

from __future__ import annotations

COLLECTOR_TITLES: dict[str, tuple[str, str]] = {
    "account.access": ("Access to the path", "路径访问权限"),
    "account.auth_failures": ("Failed logins", "登录失败记录"),
    "account.identity": ("Your account", "当前账号"),
    "crash.dumps": ("Crash records", "崩溃记录"),
    "disk.health": ("Disk health (SMART)", "硬盘健康（SMART）"),
    "disk.io": ("Disk activity", "磁盘读写"),
    "disk.largest": ("Largest folders", "最大的目录"),
    "disk.usage": ("Disk space", "磁盘空间"),
    "hardware.sensors": ("Temperatures and fans", "温度与风扇"),
    "kb.search": ("Knowledge-base search", "知识库搜索"),
    "logs.eventlog": ("Windows event log", "Windows 事件日志"),
    "logs.files": ("Log files", "日志文件"),
    "logs.journal": ("System journal", "系统日志"),
    "logs.macos": ("macOS log", "macOS 日志"),
    "network.capture": ("Packet capture", "抓包"),
    "network.clock": ("Clock against the time server", "与时间服务器对时"),
    "network.dns": ("Name resolution (DNS)", "域名解析（DNS）"),
    "network.http": ("Web request", "网页请求"),
    "network.interfaces": ("Network adapters", "网卡"),
    "network.ping": ("Ping", "Ping 测试"),
    "network.routes": ("Gateway and routes", "网关与路由"),
    "network.tcp": ("Port connection", "端口连接"),
    "network.traceroute": ("Path to the host (traceroute)", "到主机的路径（traceroute）"),
    "system.info": ("This machine", "本机信息"),
    "system.processes": ("Running programs", "运行中的程序"),
    "system.services": ("System services", "系统服务"),
    "system.updates": ("Recent software changes", "最近的软件变更"),
}


def collector_title(name: str, lang: str) -> str:
    """A collector as a person knows it ("Log files", 日志文件); its name otherwise."""
    en, zh = COLLECTOR_TITLES.get(name, (name, name))
    return zh if lang == "zh" else en


COLLECTOR_REASONS: tuple[tuple[str, str], ...] = (
    # the framework (toolkit/collector.py, toolkit/run/isolation.py)
    ("{command} not installed: {hint}", "未安装 {command}：{hint}"),
    ("{name} did not finish within {limit}s and was stopped — raise the limit with --timeout "
     "or the step's timeout:",
     "{name} 在 {limit} 秒内未完成，已被停止——可用 --timeout 或步骤的 timeout: 放宽时限"),
    ("{name} worker exited with code {code} without a result (details under errors/ in the "
     "bundle)", "{name} 的工作进程以代码 {code} 退出且没有结果（详情见证据包的 errors/）"),
    ("collector crashed: {what}", "采集器崩溃：{what}"),
    ("{name} cannot run in a worker: {why}", "{name} 无法在工作进程中运行：{why}"),
    ("could not start a worker process for {name}: {why}", "无法为 {name} 启动工作进程：{why}"),
    # network
    ("no host given — pass -p host=NAME_OR_ADDRESS", "未指定主机——请用 -p host=名称或地址 指定"),
    ("cannot resolve '{host}': {reason} — check the name and the DNS settings (collect "
     "network.dns)", "无法解析 '{host}'：{reason}——请检查名称和 DNS 设置（采集 network.dns）"),
    ("{what}: raw ICMP sockets are not allowed for this user — {fix}",
     "{what}：当前用户不能使用原始 ICMP 套接字——{fix}"),
    ("run as root, or let this Python open raw sockets: {cmd}",
     "请以 root 运行，或允许此 Python 打开原始套接字：{cmd}"),
    ("or allow your group (gid {gid}) to send unprivileged pings: {cmd}",
     "或允许您的用户组（gid {gid}）发送非特权 ping：{cmd}"),
    ("packet capture needs root: run supportkit with sudo (the capture is short and "
     "filtered, and goes only into the bundle)",
     "抓包需要 root 权限：请用 sudo 运行 supportkit（抓包时间短且经过过滤，只保存在证据包中）"),
    ("packet capture needs root (or cap_net_raw and cap_net_admin): run supportkit with sudo",
     "抓包需要 root 权限（或 cap_net_raw 和 cap_net_admin）：请用 sudo 运行 supportkit"),
    ("BPF filters need libpcap: {hint}", "BPF 过滤需要 libpcap：{hint}"),
    ("bad capture filter {bpf}: {exc}", "抓包过滤条件 {bpf} 有误：{exc}"),
    ("no interface named {iface}: collect network.interfaces for the names",
     "没有名为 {iface} 的网卡：请采集 network.interfaces 查看名称"),
    ("capture failed: {exc}", "抓包失败：{exc}"),
    ("duration must be 1-300 seconds", "时长必须为 1-300 秒"),
    ("max_packets 1-1000000, max_bytes 1 KB-200 MB, snaplen 64-65535",
     "max_packets 为 1-1000000，max_bytes 为 1 KB-200 MB，snaplen 为 64-65535"),
    ("no NTP server given — pass -p server=HOST (the site's time source) to compare this "
     "clock with it", "未指定 NTP 服务器——请用 -p server=主机 指定本单位的时间源，以便对比本机时"
                      "钟"),
    ("count must be 1-20 and timeout above 0", "count 必须为 1-20，timeout 必须大于 0"),
    ("cannot resolve NTP server '{host}': {reason}", "无法解析 NTP 服务器 '{host}'：{reason}"),
    ("timeout must be above 0", "timeout 必须大于 0"),
    ("server {spec} is not an IP address (with an optional :port)",
     "服务器 {spec} 不是 IP 地址（可带 :端口）"),
    ("no URL given — pass -p url=https://HOST/PATH", "未指定 URL——请用 -p url=https://主机/路径 "
     "指定"),
    ("timeout must be above 0 and max_redirects 0-30", "timeout 必须大于 0，max_redirects 为 0-30"),
    ("ca_file {path} does not exist", "ca_file {path} 不存在"),
    ("{source}: {exc} (expected ipconfig /all or ip -j addr output)",
     "{source}：{exc}（需要 ipconfig /all 或 ip -j addr 的输出）"),
    ("count must be between 1 and 100000", "count 必须在 1 到 100000 之间"),
    ("interval must be at least 0.01 s and timeout above 0",
     "interval 至少为 0.01 秒，timeout 必须大于 0"),
    ("size must be between 0 and 65000 bytes", "size 必须在 0 到 65000 字节之间"),
    ("ping failed (exit {code}): {output}", "ping 失败（退出码 {code}）：{output}"),
    ("{command} failed (exit {code}): {output}", "{command} 失败（退出码 {code}）：{output}"),
    ("host and port are needed — pass -p host=NAME -p port=NUMBER",
     "需要主机和端口——请用 -p host=名称 -p port=端口号 指定"),
    ("port must be 1-65535, timeout above 0 and count 1-100",
     "port 必须为 1-65535，timeout 大于 0，count 为 1-100"),
    ("max_hops must be 1-64 and queries 1-10", "max_hops 必须为 1-64，queries 为 1-10"),
    ("count must be 1-1000, interval at least 0.05 s, timeout above 0",
     "count 必须为 1-1000，interval 至少 0.05 秒，timeout 大于 0"),
    # accounts
    ("no path given — pass the file or folder that cannot be opened as path=",
     "未指定路径——请用 path= 指定无法打开的文件或文件夹"),
    ("no authentication log to read here: {where} and none of {files} exists",
     "这里没有可读取的登录日志：{where}，并且 {files} 都不存在"),
    ("journalctl is not installed", "未安装 journalctl"),
    ("journald returned no auth entries", "journald 没有返回登录记录"),
    ("cannot read {path}: permission denied — run as root or from an account in the 'adm' "
     "group", "无法读取 {path}：权限不足——请以 root 或 'adm' 组中的账号运行"),
    ("cannot read {path}: permission denied — run as root or as a member of the 'adm' group",
     "无法读取 {path}：权限不足——请以 root 或 'adm' 组成员身份运行"),
    ("cannot look inside {path}: you have no permission to enter that folder",
     "无法查看 {path} 的内容：您没有进入该文件夹的权限"),
    ("{path} does not exist (check the name, or whether the share or drive is mounted)",
     "{path} 不存在（请检查名称，或共享/驱动器是否已挂载）"),
    ("you may {want} {path}", "您可以{want} {path}"),
    ("you may not {want} {path} (owner {owner}, group {group}, mode {mode}): ask the owner or "
     "an administrator for access, or to add you to the group",
     "您不能{want} {path}（所有者 {owner}，组 {group}，权限 {mode}）：请向所有者或管理员申请访问"
     "权限，"
     "或请他们把您加入该组"),
    ("read", "读取"), ("write", "写入"), ("enter", "进入"),
    # disks
    ("smartctl could not be started: {error}", "无法启动 smartctl：{error}"),
    ("'smartctl --scan-open -j' printed no usable JSON ({exc}; starts {head}) — smartmontools "
     "7.0 or later is needed for -j; the output is kept as smartctl-scan.json",
     "'smartctl --scan-open -j' 没有输出可用的 JSON（{exc}；开头为 {head}）——-j 需要 "
     "smartmontools 7.0 或更高版本；输出已保存为 smartctl-scan.json"),
    ("smartctl cannot open the disks without administrator rights (permission denied): run it "
     "again as root / administrator, e.g. sudo supportkit collect disk.health",
     "没有管理员权限，smartctl 无法打开硬盘（权限不足）：请以 root/管理员身份重新运行，"
     "例如 sudo supportkit collect disk.health"),
    ("the OS reports no disk I/O counters (on Windows: run 'diskperf -y' as administrator, "
     "then try again)", "系统没有提供磁盘 I/O 计数器（Windows：以管理员身份运行 'diskperf -y' 后"
                        "重试）"),
    ("{root} is not a folder — give an existing folder as path=",
     "{root} 不是文件夹——请用 path= 指定一个存在的文件夹"),
    ("{source}: {exc} — give a snapshot.json this collector saved",
     "{source}：{exc}——请提供此采集器保存的 snapshot.json"),
    ("{label}: normalised value {value} is at or below the vendor threshold {thresh} (raw "
     "{raw}): the drive rates itself as failing",
     "{label}：标准化值 {value} 已达到或低于厂商阈值 {thresh}（原始值 {raw}）：硬盘自评为即将损坏"),
    ("{label}: was at or below the vendor threshold {thresh} in the past (worst {worst}, raw "
     "{raw})", "{label}：过去曾达到或低于厂商阈值 {thresh}（最差 {worst}，原始值 {raw}）"),
    ("ATA error log: the drive logged {n} errors", "ATA 错误日志：硬盘记录了 {n} 个错误"),
    ("self-test log: {kind} test {status} at {hours} h{more}",
     "自检日志：{kind} 自检 {status}，于 {hours} 小时{more}"),
    ("self-test log: {status} at {hours} h{more}", "自检日志：{status}，于 {hours} 小时{more}"),
    (", first bad LBA {lba}", "，首个坏块 LBA {lba}"),
    ("SMART overall-health self-assessment: FAILED — the drive predicts its own failure",
     "SMART 整体健康自评：未通过——硬盘预测自身即将损坏"),
    # smartctl's own names of self-tests and their results (ATA self-test log)
    ("Short offline", "简短离线"), ("Extended offline", "扩展离线"),
    ("Conveyance offline", "运输离线"), ("Selective offline", "选择性离线"),
    ("Short captive", "简短前台"), ("Extended captive", "扩展前台"),
    ("Completed: read failure", "已完成：读取失败"),
    ("Completed: electrical failure", "已完成：电气故障"),
    ("Completed: servo/seek failure", "已完成：伺服/寻道故障"),
    ("Completed: unknown failure", "已完成：未知故障"),
    ("Completed: handling damage??", "已完成：疑似搬运损伤"),
    ("available_spare = {spare}% is below the threshold {threshold}%: the drive is out of "
     "spare blocks", "available_spare = {spare}%，低于阈值 {threshold}%：硬盘的备用块已耗尽"),
    ("available_spare = {spare}% is close to the threshold {threshold}%",
     "available_spare = {spare}%，接近阈值 {threshold}%"),
    ("percentage_used = {used}%: the rated write endurance is used up",
     "percentage_used = {used}%：额定写入寿命已用完"),
    ("percentage_used = {used}% of the rated write endurance",
     "percentage_used = {used}%（额定写入寿命的使用比例）"),
    ("media_errors = {n}: unrecovered data integrity errors",
     "media_errors = {n}：无法恢复的数据完整性错误"),
    ("critical_warning = {cw} (bit {bit}): {meaning}", "critical_warning = {cw}（位 {bit}）："
     "{meaning}"),
    ("{label} = {raw}: {meaning}", "{label} = {raw}：{meaning}"),
    ("sectors already moved to the spare area", "已转移到备用区的扇区"),
    ("the motor needed retries to spin up", "电机需要重试才能启动"),
    ("data was corrupted between the host and the media inside the drive",
     "数据在主机与盘片之间传输时损坏（硬盘内部）"),
    ("reads the drive could not correct: data was lost", "硬盘无法纠正的读取错误：数据已丢失"),
    ("commands timed out (drive, cable or power trouble)", "命令超时（硬盘、线缆或电源问题）"),
    ("remapping events", "重映射事件"),
    ("sectors the drive cannot read now and waits to remap", "当前无法读取、等待重映射的扇区"),
    ("sectors found unreadable by the offline scan", "离线扫描发现的不可读扇区"),
    ("transfer CRC errors: usually the SATA cable or connector, not the disk",
     "传输 CRC 错误：通常是 SATA 数据线或接口问题，而不是硬盘本身"),
    ("available spare has fallen below its threshold", "可用备用空间已低于阈值"),
    ("temperature is above or below its threshold", "温度高于或低于阈值"),
    ("NVM subsystem reliability is degraded by media or internal errors",
     "存储介质或内部错误导致 NVM 子系统可靠性下降"),
    ("the media has been placed in read-only mode", "存储介质已进入只读模式"),
    ("the volatile memory backup device has failed", "易失性内存备份设备已失效"),
    ("the persistent memory region became read-only or unreliable", "持久内存区域已变为只读或不"
     "可靠"),
    # logs
    ("cannot read the time {value}: give ISO 8601 (2024-11-03T10:00 or 2024-11-03 "
     "10:00:00+01:00), epoch seconds, or an age such as 30m, 2h, 3d, 1w",
     "无法识别时间 {value}：请使用 ISO 8601（2024-11-03T10:00 或 2024-11-03 10:00:00+01:00）、"
     "Unix 秒数，或 30m、2h、3d、1w 这样的时长"),
    ("this is a binary .evtx file — turn it into XML on Windows with 'wevtutil qe FILE.evtx "
     "/lf:true /f:RenderedXml > events.xml'",
     "这是二进制 .evtx 文件——请在 Windows 上用 'wevtutil qe FILE.evtx /lf:true "
     "/f:RenderedXml > events.xml' 转成 XML"),
    ("the XML declares a DOCTYPE or entities, which event exports never do — refusing to "
     "parse it (XML bomb protection)", "该 XML 声明了 DOCTYPE 或实体，事件导出文件不会这样做——拒"
                                       "绝解析（防 XML 炸弹）"),
    ("the Windows event log exists only on Windows — give a saved export with source=",
     "Windows 事件日志只存在于 Windows 上——请用 source= 提供已保存的导出文件"),
    ("wevtutil could not read {channel} ({code}): {err} — the Security log needs an "
     "administrator", "wevtutil 无法读取 {channel}（{code}）：{err}——读取安全日志需要管理员权限"),
    ("no paths given — pass paths=/var/log/syslog,/var/log/app/*.log",
     "未指定路径——请用 paths=/var/log/syslog,/var/log/app/*.log 指定"),
    ("until is before since — swap them or widen the window",
     "until 早于 since——请交换两者或放宽时间范围"),
    ("grep {pattern} is not a valid regex ({exc})", "grep {pattern} 不是有效的正则表达式（{exc}）"),
    ("no log file matches {paths} — check the paths", "没有与 {paths} 匹配的日志文件——请检查路径"),
    ("this system has no systemd journal", "本系统没有 systemd 日志"),
    ("journald keeps no journal files here (not running, or Storage=none) — use logs.files on "
     "/var/log, or give a journal copied from elsewhere with file=",
     "journald 在这里没有保存日志文件（未运行或 Storage=none）——请对 /var/log 使用 logs.files，"
     "或用 file= 提供从别处复制的日志"),
    ("journalctl did not answer in time — narrow since/until",
     "journalctl 未及时响应——请缩小 since/until 范围"),
    ("journalctl failed ({code}): {err} — run as root or add yourself to the systemd-journal "
     "group", "journalctl 失败（{code}）：{err}——请以 root 运行或把自己加入 systemd-journal 组"),
    ("journalctl failed ({code}): {err}", "journalctl 失败（{code}）：{err}"),
    ("the unified log exists only on macOS — give a saved 'log show --style ndjson' output "
     "with source=", "统一日志只存在于 macOS 上——请用 source= 提供已保存的 'log show --style "
     "ndjson' 输出"),
    ("log show failed ({code}): {err} — run as an administrator to read every entry",
     "log show 失败（{code}）：{err}——请以管理员身份运行以读取全部条目"),
    ("days must be 1 or more, not {days}", "days 必须至少为 1，而不是 {days}"),
    ("no question given — pass it as query=", "未提供问题——请用 query= 指定"),
    # logs.files: why a file was skipped, or kept whole (shown in the report's table)
    ("no lines in the time window", "时间窗口内没有日志行"),
    ("no lines in the time window matching grep", "时间窗口内没有与 grep 匹配的日志行"),
    ("its lines carry no time and it was last modified {when}, outside the window",
     "其中的行没有时间，且最后修改于 {when}，在时间窗口之外"),
    ("its lines carry no time, so since/until could not cut it: it was modified {when}, "
     "inside the window, and is kept whole up to max_bytes (newest part) — lines older than "
     "the window may be in it",
     "其中的行没有时间，since/until 无法截取：它修改于 {when}，在时间窗口之内，因此按 max_bytes "
     "整体保留（最新部分）——其中可能有早于时间窗口的行"),
    ("max_total_bytes already used by newer files", "max_total_bytes 已被较新的文件用完"),
    ("permission denied — run as administrator or root, or copy the file somewhere readable "
     "and give that path", "权限不足——请以管理员或 root 身份运行，或把文件复制到可读取的位置后"
     "给出该路径"),
    ("not read: {exc}", "未读取：{exc}"),
    ("cannot read it: {exc}", "无法读取：{exc}"),
    ("binary file (NUL bytes in its first 8 KB) — not a text log",
     "二进制文件（前 8 KB 中有 NUL 字节）——不是文本日志"),
    ("binary file (control bytes in its first 8 KB) — not a text log",
     "二进制文件（前 8 KB 中有控制字节）——不是文本日志"),
    # logs.journal, logs.eventlog, logs.macos: a cut output, a shutdown's detail
    ("the command printed more than supportkit keeps of one output — narrow since/until or "
     "lower max_entries", "命令的输出超过了 supportkit 对单个输出的保留上限——请缩小 since/until "
     "范围或调低 max_entries"),
    ("rebooted without cleanly shutting down first", "未正常关机就重新启动了"),
    ("the previous shutdown was unexpected", "上一次关机是意外关机"),
    # account.auth_failures: which part of the log was read
    ("the whole file", "整个文件"),
    ("last {hours} h", "最近 {hours} 小时"),
    ("last {n} bytes of the file", "文件的最后 {n} 字节"),
    # services and packages
    ("systemd is not running on this machine (PID 1 is '{init}'): there are no systemd "
     "services to check — containers and sandboxes often run without an init system",
     "本机没有运行 systemd（PID 1 是 '{init}'）：没有可检查的 systemd 服务——容器和沙箱中通常没有"
     " init 系统"),
    ("systemctl list-units did not answer in time: the service manager hangs (check "
     "'systemctl status' and the journal)",
     "systemctl list-units 未及时响应：服务管理器卡住了（请检查 'systemctl status' 和系统日志）"),
    ("systemctl list-units (exit {code}) printed nothing usable: {exc}",
     "systemctl list-units（退出码 {code}）没有输出可用内容：{exc}"),
    ("no package log found (looked for {paths}): this is not a Debian/Ubuntu system, or its "
     "logs were removed", "没有找到软件包日志（查找了 {paths}）：这不是 Debian/Ubuntu 系统，或日"
                          "志已被删除"),
    # network.tcp: how a connect ended
    ("no answer (timed out): packets dropped on the way or at the host",
     "没有响应（超时）：数据包在途中或在目标主机被丢弃"),
    ("connection refused: the host is reachable but nothing listens there",
     "连接被拒绝：主机可以访问，但该端口上没有服务在监听"),
    ("{error}: no route to that host or network", "{error}：没有到该主机或网络的路由"),
    ("connection refused: nothing listens on that TCP port, or a firewall rejects it (DNS "
     "needs TCP as well as UDP)", "连接被拒绝：该 TCP 端口上没有服务在监听，或被防火墙拒绝"
     "（DNS 除了 UDP 也需要 TCP）"),
    # disk.health: why a disk has no SMART data
    ("smartctl could not open the device ({errors}): run as root or administrator",
     "smartctl 无法打开该设备（{errors}）：请以 root 或管理员身份运行"),
    ("{errors}: smartctl does not know this kind of disk; virtual disks (virtio, Hyper-V, "
     "VMware) have no SMART — check the host's disks",
     "smartctl 无法识别这种硬盘（{errors}）；虚拟硬盘（virtio、Hyper-V、VMware）没有 SMART——"
     "请检查宿主机的硬盘"),
    ("smartctl could not read the device: {errors}", "smartctl 无法读取该设备：{errors}"),
    ("the device has no SMART support (virtual disk, memory card or bridge)",
     "该设备不支持 SMART（虚拟硬盘、存储卡或转接桥）"),
    ("SMART is disabled on the device: enable it with 'smartctl -s on DEVICE'",
     "该设备的 SMART 已关闭：请用 'smartctl -s on 设备' 打开"),
    ("this is a RAID volume: its member disks are behind the controller — read them with "
     "smartctl -d megaraid,N / -d cciss,N / -d csmi",
     "这是 RAID 卷：成员硬盘在阵列卡后面——请用 smartctl -d megaraid,N / -d cciss,N / -d csmi "
     "读取"),
    ("no SMART health data in the output: {errors}", "输出中没有 SMART 健康数据：{errors}"),
    ("no SMART health data in this output (smartctl -i/--info only?) — save 'smartctl -x -j "
     "DEVICE' instead", "该输出中没有 SMART 健康数据（只有 smartctl -i/--info？）——请改为保存 "
     "'smartctl -x -j 设备' 的输出"),
    ("{device}: Unable to detect device type", "{device}：无法识别设备类型"),
    ("open failed", "打开失败"),
    # account.identity: what sudo would do (shown beside its state in the report)
    ("running as root: sudo is not needed", "正以 root 身份运行：不需要 sudo"),
    ("sudo runs commands without asking for a password", "sudo 运行命令时不需要密码"),
    ("sudo is not installed", "未安装 sudo"),
    ("sudo asks for a password (allowed or not is known only then)",
     "sudo 需要输入密码（输入后才知道是否允许）"),
    ("sudo refused", "sudo 拒绝了请求"),
    ("sudo -n true exited {code}", "sudo -n true 退出码为 {code}"),
    # disk.health: the summary line when there is no disk (the report words the rest)
    ("no disks found", "没有找到硬盘"),
)
