"""What the one-file and remote tests stand on: the build, minimal Debian roots, and
test hosts with a real sshd each in its own network namespace.

All of it is made here, by the tests, as root, and cached under
``/var/cache/supportkit-tests/`` where it is slow to make: the one-file build (keyed by
the installed wheel's RECORD — the hash of every file it holds — and the build script)
and the debootstrap roots. The network is veth pairs between namespaces this module
creates: nothing has a route out.

    client 10.201.N.1 ─ 10.201.N.2 hN   (N = 1, 2, 3; 10.201.9.2: nobody)

Namespaces share the file system (each sshd has its own copy of the mounts as they were
when it started): each host gets its own TMPDIR (sshd ``SetEnv``), so
what supportkit puts "on" a host lands in a folder of that host only, and a test can
look there to see that the build was really copied — and removed.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

CACHE = Path(os.environ.get("SUPPORTKIT_TEST_CACHE", "/var/cache/supportkit-tests"))
USER = "sk-remote-test"
DEAD = "10.201.9.2"


def _run(*argv: str, timeout: float = 60) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True,
                          timeout=timeout).stdout


class _Lock:
    """One at a time, across test sessions (two may run at once: worktrees, CI): one
    maker of a cached thing, one user of a Debian root, one set of test hosts (they
    share the test user, whose processes ``Hosts.down`` ends)."""

    def __init__(self, name: str) -> None:
        CACHE.mkdir(parents=True, exist_ok=True)
        self.fh = open(CACHE / f".{name}.lock", "w")

    def __enter__(self) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def one_file_build() -> Path:
    """The one-file build of the installed supportkit, built once and cached."""
    tree = Path(os.environ.get("SUPPORTKIT_SOURCE_TREE", ""))
    script = tree / "scripts" / "build-binary"
    if not script.is_file():
        raise FileNotFoundError("SUPPORTKIT_SOURCE_TREE/scripts/build-binary (set by "
                                "scripts/test) is needed to build the one-file build")
    # The package's files and their hashes; not the install's own records (direct_url.json
    # names the wheel's temporary path, different at every install).
    record = metadata.distribution("supportkit").read_text("RECORD") or ""
    files = sorted(ln for ln in record.splitlines()
                   if ".dist-info/" not in ln.split(",")[0] and ",sha256=" in ln)
    files += [ln for ln in record.splitlines() if ln.split(",")[0].endswith(".dist-info/METADATA")]
    key = hashlib.sha256("\n".join(files).encode() + script.read_bytes()).hexdigest()[:16]
    folder = CACHE / "binary" / key
    with _Lock("binary"):
        found = sorted(folder.glob("supportkit-*-linux-x86_64"))
        if found:
            os.utime(folder)  # used: the last to be pruned
            return found[0]
        _prune(CACHE / "binary", keep=2)
        env = {**os.environ, "SUPPORTKIT_BUILD_VENV": str(CACHE / "build-venv")}
        proc = subprocess.run([str(script), "--out", str(folder)], capture_output=True,
                              text=True, timeout=1200, env=env, cwd=tree,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            raise RuntimeError(f"scripts/build-binary failed:\n{proc.stderr[-4000:]}")
        return Path(proc.stdout.strip().splitlines()[-1])


def debian_root_in_use(suite: str) -> _Lock:
    """Hold while a test runs things inside the shared Debian root (mounts /proc)."""
    return _Lock(f"chroot-{suite}")


def _prune(folder: Path, keep: int) -> None:
    """Remove all but the ``keep`` builds used last (each is ~30 MB; a build per change)."""
    builds = sorted((p for p in folder.glob("*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in builds[:-keep] if keep else builds:
        shutil.rmtree(old, ignore_errors=True)


def _mirror() -> str:
    """The Debian mirror this machine's apt uses."""
    for src in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]:
        try:
            text = src.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if line.startswith("URIs:") and "/debian" in line and "security" not in line:
                return words[1]
            if words[:1] == ["deb"] and "/debian" in line and "security" not in line:
                return next(w for w in words[1:] if "://" in w)
    return "http://deb.debian.org/debian"


def debian_root(suite: str) -> Path:
    """A minimal Debian (``debootstrap --variant=minbase``: no python3), made once."""
    root = CACHE / f"debian-{suite}-minbase"
    with _Lock(f"debian-{suite}"):
        if (root / ".supportkit-complete").exists():
            return root
        tmp = CACHE / f".tmp-{suite}-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        _run("debootstrap", "--variant=minbase", suite, str(tmp), _mirror(), timeout=1200)
        shutil.rmtree(root, ignore_errors=True)
        tmp.rename(root)
        (root / ".supportkit-complete").touch()
        return root


@dataclass
class Hosts:
    """Test hosts h1…hN with sshd, and a client namespace to reach them from."""

    base: Path
    count: int = 3
    chroot: Path | None = None  # h4 (when set): sshd's ChrootDirectory, an older Debian
    tag: str = field(default_factory=lambda: f"skr{os.getpid() % 100000}")
    sshd: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _lock: _Lock | None = field(default=None, repr=False)

    @property
    def client(self) -> str:
        return f"{self.tag}-c"

    def ns(self, n: int) -> str:
        return f"{self.tag}-h{n}"

    def addr(self, n: int) -> str:
        return f"10.201.{n}.2"

    def tmpdir(self, n: int) -> Path:
        """Host n's own temporary folder (its TMPDIR); the old one's is in its root."""
        return (self.chroot / "tmp") if n == 4 and self.chroot else self.base / f"h{n}" / "tmp"

    def small_disk(self, n: int) -> Path:
        """An 8 MB tmpfs of host n (not the old one), anyone may write: a test fills it."""
        return self.base / f"h{n}" / "small"

    def numbers(self) -> list[int]:
        return list(range(1, self.count + 1)) + ([4] if self.chroot else [])

    def up(self) -> None:
        self._lock = _Lock("hosts")
        self._lock.__enter__()  # until down()
        self.base.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        self._user()
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.base / "id"))
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.base / "wrong"))
        shutil.copy(self.base / "id.pub", self.base / "authorized_keys")
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.base / "other"))
        _run("ip", "netns", "add", self.client)
        _run("ip", "netns", "exec", self.client, "ip", "link", "set", "lo", "up")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation
        known = []
        for n in self.numbers():
            known.append(f"{self.addr(n)} {self._host(n)}")
        (self.base / "known_hosts").write_text("\n".join(known) + "\n")
        other = (self.base / "other.pub").read_text().split()[:2]
        (self.base / "known_hosts_changed").write_text(f"{self.addr(1)} {' '.join(other)}\n")
        self._ssh_config()
        for n in self.numbers():
            self._wait_listening(n)

    def _user(self) -> None:
        home = self.base / "home"
        home.mkdir(exist_ok=True)
        if subprocess.run(["id", USER], capture_output=True).returncode != 0:
            _run("useradd", "-M", "-d", str(home), "-s", "/bin/sh", USER)
        else:
            _run("usermod", "-d", str(home), USER)
        _run("usermod", "-p", "*", USER)  # no password, but not locked: keys work
        shutil.chown(home, USER, USER)

    def _host(self, n: int) -> str:
        folder = self.base / f"h{n}"
        folder.mkdir()
        tmp = self.tmpdir(n)
        if n != 4:
            tmp.mkdir()
            shutil.chown(tmp, USER, USER)
            os.chmod(tmp, 0o700)
            # A small disk of its own, to fill: mounted before sshd starts, as `ip netns
            # exec` gives sshd its own copy of the mounts (no propagation when / is private).
            self.small_disk(n).mkdir()
            _run("mount", "-t", "tmpfs", "-o", "size=8m,mode=1777", "tmpfs",
                 str(self.small_disk(n)))
        key = folder / "host_key"
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
        _run("ip", "netns", "add", self.ns(n))
        _run("ip", "link", "add", f"vh{n}", "netns", self.client, "type", "veth", "peer",
             "name", "eth0", "netns", self.ns(n))
        for ns, dev, addr in ((self.client, f"vh{n}", f"10.201.{n}.1/24"),
                              (self.ns(n), "eth0", f"{self.addr(n)}/24")):
            _run("ip", "netns", "exec", ns, "ip", "addr", "add", addr, "dev", dev)
            _run("ip", "netns", "exec", ns, "ip", "link", "set", dev, "up")
            _run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        lines = [f"ListenAddress {self.addr(n)}", "Port 22", f"HostKey {key}",
                 f"PidFile {folder / 'sshd.pid'}",
                 f"AuthorizedKeysFile {self.base / 'authorized_keys'}", "StrictModes no",
                 "UsePAM no", "PasswordAuthentication no", "KbdInteractiveAuthentication no",
                 "PermitRootLogin no", f"AllowUsers {USER}", "PrintMotd no",
                 # A dropped client is noticed in about 3 s: the run there hangs up.
                 "ClientAliveInterval 1", "ClientAliveCountMax 3", "LogLevel VERBOSE"]
        if n == 4 and self.chroot:
            lines += [f"ChrootDirectory {self.chroot}", "SetEnv TMPDIR=/tmp"]
        else:
            path = f"{folder / 'bin'}:/usr/local/bin:/usr/bin:/bin"
            lines += [f"SetEnv TMPDIR={tmp} PATH={path}"]
            (folder / "bin").mkdir()
        (folder / "sshd_config").write_text("\n".join(lines) + "\n")
        log = open(folder / "sshd.log", "wb")
        self.sshd.append(subprocess.Popen(
            ["ip", "netns", "exec", self.ns(n), "/usr/sbin/sshd", "-D", "-e", "-f",
             str(folder / "sshd_config")], stdout=log, stderr=log, stdin=subprocess.DEVNULL))
        return " ".join((key.with_suffix(".pub")).read_text().split()[:2])

    def _wait_listening(self, n: int) -> None:
        log = self.base / f"h{n}" / "sshd.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "Server listening" in log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"sshd of h{n} did not start: {log.read_text()}")

    def _ssh_config(self) -> None:
        b = self.base
        blocks = []
        for n in self.numbers():
            blocks.append(f"Host h{n}\n  HostName {self.addr(n)}\n  IdentityFile {b / 'id'}\n")
        blocks += [
            f"Host wrongkey\n  HostName {self.addr(1)}\n  IdentityFile {b / 'wrong'}\n",
            f"Host changedkey\n  HostName {self.addr(1)}\n  IdentityFile {b / 'id'}\n"
            f"  UserKnownHostsFile {b / 'known_hosts_changed'}\n",
            f"Host nowhere\n  HostName {DEAD}\n  IdentityFile {b / 'id'}\n",
            f"Host *\n  User {USER}\n  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {b / 'known_hosts'}\n  GlobalKnownHostsFile /dev/null\n"
            "  StrictHostKeyChecking yes\n  ConnectTimeout 5\n"
            "  ServerAliveInterval 1\n  ServerAliveCountMax 3\n",
        ]
        (b / "ssh_config").write_text("\n".join(blocks))

    @property
    def ssh_config(self) -> Path:
        return self.base / "ssh_config"

    def in_client(self, *argv: str) -> list[str]:
        """``argv`` run in the client namespace (where the hosts are reachable)."""
        return ["ip", "netns", "exec", self.client, *argv]

    SUDOERS = Path("/etc/sudoers.d/sk-remote-test")

    def allow_sudo(self, allowed: bool) -> None:
        """Let the test user run anything as root with no password (sudo -n), or not."""
        if not allowed:
            self.SUDOERS.unlink(missing_ok=True)
            return
        tmp = self.SUDOERS.with_name(".sk-remote-test.tmp")
        tmp.write_text(f"{USER} ALL=(root) NOPASSWD: ALL\n")
        tmp.chmod(0o440)
        _run("visudo", "-c", "-q", "-f", str(tmp))
        tmp.rename(self.SUDOERS)

    def link_down(self, n: int) -> None:
        _run("ip", "netns", "exec", self.client, "ip", "link", "set", f"vh{n}", "down")

    def down(self) -> None:
        for proc in self.sshd:
            proc.terminate()
        for proc in self.sshd:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        # sshd's sessions of the test user that a test left behind, by their ids: that
        # user exists only for these tests, and runs nothing else.
        import psutil

        for proc in psutil.process_iter(["username"]):
            if proc.info["username"] == USER:
                try:
                    proc.kill()
                except psutil.Error:
                    pass
        for n in range(1, self.count + 1):
            subprocess.run(["umount", str(self.small_disk(n))], capture_output=True,
                           check=False)
        for name in [self.client, *(self.ns(n) for n in self.numbers())]:
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)
        self.allow_sudo(False)
        subprocess.run(["userdel", USER], capture_output=True, check=False)
        if self._lock is not None:
            self._lock.__exit__()
            self._lock = None
