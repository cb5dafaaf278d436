"""One host: look, copy, run, fetch, verify, attach, clean up.

The protocol, each step one ``ssh`` command over the connection shared for the host
(``toolkit.remote.ssh``), each script in ``toolkit.remote.scripts``:

1. **probe** — what the machine is (``uname``), a ``supportkit`` already on its PATH and
   its version, a private folder ``$TMPDIR/supportkit-remote.XXXXXXXX`` (0700, or under
   ``--remote-dir``), its free space and whether files there may run.
2. **put** — unless a supportkit of this version is there: the one-file build, streamed
   through ``cat`` (no scp or sftp needed), checked by starting it once
   (``--version``); the answers file and a local playbook file beside it.
3. **run** — ``supportkit run … --out DIR/out`` (or ``collect … --json``) with
   ``TMPDIR=DIR/tmp``, so the build unpacks itself, and the run stages its raw data,
   inside the private folder; through a pseudo-terminal (``ssh -tt``): interactive
   runs answer prompts on the engineer's screen, and a dropped connection is a
   hang-up on which the remote run stops and the folder is removed.
4. **fetch** — every file the run left in ``out/`` (the bundle; with ``--anonymize``
   its pseudonym mapping), to the local bundles folder, 0600, written whole or not
   at all; then ``bundle verify``, then ``--ticket``: attached to the local ticket.
5. **clean** — the private folder is removed (``--keep``: all but the bundle), and the
   shared connection closed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.errors import (
    EXIT_OK,
    EXIT_STEP_FAILED,
    EXIT_TAMPERED,
    BadInput,
    RemoteError,
    RemoteLost,
    RemoteUnsuitable,
    SupportkitError,
)
from toolkit.remote import scripts
from toolkit.remote.build import Build, same_version
from toolkit.remote.ssh import Client, connect_error

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")  # a file the remote run wrote
# Colours of the remote's terminal output (SGR only; every other control is escaped).
_SGR = re.compile(r"\x1b\[[0-9;]*m")
# What ssh itself says as a pseudo-terminal session ends: not the remote's output.
_SSH_NOISE = re.compile(r"^(Shared c|C)onnection to \S+ closed\.$")
_LOST = re.compile(r"Timeout, server .* not responding|Connection to .* closed|"
                   r"Shared connection to .* closed|Broken pipe|Connection reset|"
                   r"client_loop: send disconnect|mux_client_read_packet")


@dataclass(frozen=True)
class Job:
    """What to do on every host."""

    verb: str  # "run" | "collect"
    args: tuple[str, ...]  # after the verb, as the remote supportkit takes them
    files: tuple[tuple[str, Path], ...] = ()  # (name in the folder, local file) to copy
    interactive: bool = False
    sudo: bool = False
    keep: bool = False
    ticket: str | None = None
    out: Path = Path(".")
    build: Build | None = None
    remote_dir: str = ""


@dataclass
class HostResult:
    host: str
    exit_code: int = EXIT_OK
    outcome: str = ""  # ok | resolved | incomplete (the run's), or failed
    error: str = ""
    kind: str = ""  # how it failed (RemoteError.kind), "" when it did not
    supportkit: str = ""  # copied | installed
    remote_dir: str = ""
    bundle: str | None = None
    mapping: str | None = None
    verified: bool | None = None
    attached: str | None = None  # the note about the ticket
    kept: str | None = None  # with --keep: where the bundle stays on the remote
    result: Any = None  # collect: the remote's JSON document
    lost: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


Say = Callable[[str], None]
# The ssh clients of runs going on: stopped when this process is (Ctrl-C, TERM, HUP),
# and their end is a hang-up on the remote, which stops the run there and cleans up.
LIVE: set[subprocess.Popen[bytes]] = set()


class Session:
    def __init__(self, client: Client, job: Job, say: Say) -> None:
        self.client, self.job, self.say = client, job, say
        self.result = HostResult(client.host)
        self.dir = ""

    # -- the steps ------------------------------------------------------------------

    def go(self) -> HostResult:
        r = self.result
        try:
            self.client.prepare()
            exe = self._probe_and_place()
            code = self._run(exe)
            if self.job.verb == "run" and code in (EXIT_OK, EXIT_STEP_FAILED):
                self._fetch()
            r.exit_code = max(r.exit_code, code)
        except SupportkitError as exc:
            r.exit_code = exc.exit_code
            r.error = exc.one_line()
            r.kind = exc.kind if isinstance(exc, RemoteError) else "error"
            r.outcome = "failed"
        finally:
            if self.dir and r.kind != "lost":
                self._clean()
            self.client.close()
        return r

    def _ssh(self, script: str, *args: str, stdin: Any = subprocess.DEVNULL,
             stdout: Any = subprocess.PIPE,
             timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
        argv = self.client.argv(script, *args)
        try:
            return subprocess.run(argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RemoteLost(f"{self.client.host}: no answer within {timeout:g}s",
                             "check the connection and retry") from None

    def _probe_and_place(self) -> str:
        host, job, r = self.client.host, self.job, self.result
        proc = self._ssh(scripts.PROBE, job.remote_dir)
        err = proc.stderr.decode(errors="replace")
        if proc.returncode == 255:
            raise connect_error(host, err)
        facts = scripts.parse_probe(proc.stdout.decode(errors="replace"))
        if "dir" not in facts:
            why = facts.get("mkdir_error") or err.strip() or f"exit {proc.returncode}"
            raise RemoteUnsuitable(f"{host}: cannot make a private folder in "
                                   f"{facts.get('base') or 'its temporary folder'} ({why})",
                                   "choose a folder you may write with --remote-dir DIR",
                                   kind="no-space" if "space" in why else "folder")
        self.dir = r.remote_dir = facts["dir"]
        where = facts.get("base", "")
        installed = facts.get("installed_version", "")
        if installed and same_version(installed) and facts.get("installed"):
            r.supportkit = "installed"
            self._check_space(facts, 16 * 1024, where)
            exe = facts["installed"]
        else:
            build = job.build
            if build is None:
                found = f"its supportkit is '{installed}'" if installed else "it has none"
                raise BadInput(f"{host}: no one-file build to copy there ({found})",
                               "build one with scripts/build-binary and give it with "
                               "--binary FILE (or SUPPORTKIT_BINARY)")
            os_name, machine = facts.get("os", ""), facts.get("machine", "")
            if os_name and not build.runs_on(os_name, machine):
                raise RemoteUnsuitable(
                    f"{host} is {os_name} {machine}; the build is for "
                    f"{' '.join(build.target() or ())}", "build supportkit on such a "
                    "machine (scripts/build-binary), or install it there with pip "
                    "(scripts/build-wheelhouse)", kind="os")
            self._check_space(facts, build.space_kb(), where)
            if facts.get("exec") == "no":
                raise RemoteUnsuitable(f"{host}: programs may not run from {where} "
                                       "(mounted noexec)", "choose another folder with "
                                       "--remote-dir DIR", kind="noexec")
            exe = f"{self.dir}/supportkit"
            self.say(f"copying the one-file build ({build.size / 1e6:.0f} MB) to {exe}")
            self._put(build.path, exe, executable=True)
            r.supportkit = "copied"
        for name, local in job.files:
            self._put(local, f"{self.dir}/{name}")
        return exe

    def _check_space(self, facts: dict[str, str], need_kb: int, where: str) -> None:
        try:
            free = int(facts.get("free_kb") or -1)
        except ValueError:
            free = -1
        if 0 <= free < need_kb or facts.get("exec") == "nowrite":
            raise RemoteUnsuitable(
                f"{self.client.host}: no space in {where} ({max(free, 0) // 1024} MB free, "
                f"{need_kb // 1024} MB needed)",
                "free some space there, or choose a folder with --remote-dir DIR",
                kind="no-space")

    def _put(self, local: Path, remote: str, executable: bool = False) -> None:
        host = self.client.host
        with open(local, "rb") as fh:
            proc = self._ssh(scripts.PUT, remote, "x" if executable else "", stdin=fh,
                             timeout=1800)
        err = proc.stderr.decode(errors="replace")
        if proc.returncode == 0:
            return
        if proc.returncode == 255:
            raise RemoteLost(f"{host}: the connection was lost while copying {local.name}",
                             "nothing ran there; retry") if _LOST.search(err) \
                else connect_error(host, err)
        said = _last_line(err)
        if "No space left" in err or "Disk quota" in err or \
                "Could not create temporary directory" in err:
            raise RemoteUnsuitable(f"{host}: no space left for {local.name} in "
                                   f"{self.dir} ({said})", "free some space there, or "
                                   "choose a folder with --remote-dir DIR", kind="no-space")
        if proc.returncode == 72:
            glibc = re.search(r"GLIBC_[0-9.]+", err)
            if glibc:
                raise RemoteUnsuitable(
                    f"{host}: its C library is older than the build needs ({glibc.group(0)}"
                    " not found)", "build on the oldest system you support "
                    "(scripts/build-binary), or install supportkit there with pip "
                    "(scripts/build-wheelhouse)", kind="os")
            raise RemoteUnsuitable(f"{host}: the build does not start there ({said})",
                                   "see README › Run it where the problem is", kind="os")
        raise RemoteUnsuitable(f"{host}: cannot write {remote} ({said})",
                               "choose a folder with --remote-dir DIR", kind="folder")

    def _run(self, exe: str) -> int:
        job = self.job
        how = "0" if not job.sudo else ("1" if job.interactive else "n")
        argv_remote = [exe, job.verb, *job.args]
        if job.verb == "run":
            argv_remote += ["--out", f"{self.dir}/out"]
        # collect prints its document on stdout: no terminal in between to mix it up.
        tty = job.verb == "run"
        argv = self.client.argv(scripts.RUN, self.dir, how, *argv_remote, tty=tty)
        tail: deque[str] = deque(maxlen=20)
        if job.interactive:
            code = subprocess.call(argv)  # the engineer's terminal is the remote's
        else:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT if tty else subprocess.PIPE)
            LIVE.add(proc)
            assert proc.stdout is not None
            if tty:
                for raw in proc.stdout:
                    line = _SGR.sub("", raw.decode(errors="replace").rstrip("\r\n"))
                    if not _SSH_NOISE.match(line):
                        tail.append(line)
                        self.say(line)
                code = proc.wait()
            else:
                out, err = proc.communicate()
                code = proc.returncode
                tail.extend(err.decode(errors="replace").splitlines())
                for line in list(tail):
                    self.say(line)
                self._collected(out)
            LIVE.discard(proc)
        return self._judge(code, list(tail))

    def _collected(self, out: bytes) -> None:
        import json

        try:
            self.result.result = json.loads(out.decode(errors="replace"))
        except ValueError:
            self.result.result = None
        if isinstance(self.result.result, dict):
            self.result.outcome = str(self.result.result.get("outcome") or "")

    def _judge(self, code: int, tail: list[str]) -> int:
        host, text = self.client.host, "\n".join(tail)
        if code in (EXIT_OK, EXIT_STEP_FAILED):
            return code
        if code == 255:
            what = "the run" if self.job.verb == "run" else "the collector"
            self.result.lost = [f"{what} on {host} and its bundle (not fetched)",
                                f"the copy of supportkit in {self.dir} (removed there when "
                                "its sshd notices the hang-up)"]
            raise RemoteLost(f"{host}: the connection was lost during {what} "
                             f"({_last_line(text) or 'ssh exited 255'}) — nothing was "
                             "fetched; the remote run stops on the hang-up and removes "
                             f"{self.dir}",
                             f"retry when {host} answers again: the same command, for "
                             "that host only")
        said = [ln for ln in tail if re.search(r"^sudo: |sudo: not found", ln)]
        if self.job.sudo and said and code in (1, 127):
            raise RemoteUnsuitable(f"{host}: sudo refused ({said[-1].strip()[:200]})",
                                   "check that you may use sudo there; without a terminal "
                                   "it cannot ask for a password (sudo -n)", kind="sudo")
        if code in (129, 130, 143):
            raise RemoteError(f"{host}: the remote run was stopped (exit {code})",
                              "nothing was fetched; run it again", kind="stopped")
        exc = RemoteError(f"{host}: the remote supportkit ended with exit {code} "
                          f"({_last_line(text) or 'no message'})",
                          "see its message above", kind="remote")
        exc.exit_code = code if 0 < code < 128 else 1
        raise exc

    def _fetch(self) -> None:
        host, r = self.client.host, self.result
        proc = self._ssh(scripts.LIST, self.dir)
        names = [n for n in proc.stdout.decode(errors="replace").splitlines() if n.strip()]
        bad = [n for n in names if not _NAME.match(n)]
        if bad or proc.returncode != 0:
            raise RemoteError(f"{host}: unexpected files in {self.dir}/out ({bad or names})",
                              "look at the folder there", kind="fetch")
        self.job.out.mkdir(parents=True, exist_ok=True)
        for name in sorted(names, key=lambda n: not n.endswith(".zip")):
            if name.endswith(".zip"):
                r.bundle = str(self._fetch_one(name, name))
                continue
            want = name  # a mapping follows its bundle's name here, renamed or not
            if r.bundle and name.endswith(".mapping.json"):
                want = Path(r.bundle).stem + ".mapping.json"
            r.mapping = str(self._fetch_one(name, want))
        if r.bundle is None:
            raise RemoteError(f"{host}: the run wrote no bundle", "see its messages above",
                              kind="fetch")
        self._verify(Path(r.bundle))
        if self.job.keep:
            r.kept = f"{self.dir}/out/{Path(r.bundle).name}"

    def _fetch_one(self, name: str, want: str) -> Path:
        fd, tmp = tempfile.mkstemp(prefix=f".{want}.", suffix=".partial", dir=self.job.out)
        part = Path(tmp)  # 0600, and its own name: hosts fetched at once never share one
        try:
            with os.fdopen(fd, "wb") as fh:  # streamed: a bundle may be large
                proc = self._ssh(scripts.FETCH, self.dir, name, stdout=fh, timeout=1800)
            if proc.returncode != 0:
                raise RemoteLost(f"{self.client.host}: {name} could not be fetched "
                                 f"({_last_line(proc.stderr.decode(errors='replace'))})",
                                 f"fetch it again; it stays in {self.dir}/out until then")
            return claim(part, self.job.out, want, self.client.host)
        finally:
            part.unlink(missing_ok=True)

    def _verify(self, path: Path) -> None:
        from toolkit.evidence.bundle import verify

        r = self.result
        v = verify(path)
        r.verified = v.ok
        if not v.ok:
            r.exit_code, r.outcome, r.kind = EXIT_TAMPERED, "failed", "tampered"
            r.error = f"{path}: does not match its manifest: {v.problems[0]}"
            return
        r.outcome = str((v.manifest or {}).get("outcome") or "ok")
        if self.job.ticket:
            r.attached = attach(self.job.ticket, path)

    def _clean(self) -> None:
        try:
            self._ssh(scripts.CLEAN, self.dir, "keep" if self.job.keep and
                      self.result.bundle else "", timeout=60)
        except SupportkitError:
            self.result.lost.append(f"{self.dir} on {self.client.host} (not removed)")


def claim(part: Path, folder: Path, name: str, host: str) -> Path:
    """Give a fetched file its name in ``folder``, never over a file already there.

    Two hosts may write bundles of the same name (the same hostname — cloned machines,
    containers — and the same second): the second one is named after the host as the
    engineer called it, ``NAME_HOST.zip`` (then ``NAME_HOST-2.zip``…), so no bundle
    fetched replaces another."""
    stem, suffix = (name[:-13], ".mapping.json") if name.endswith(".mapping.json") else (
        Path(name).stem, Path(name).suffix)
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", host).strip("-.") or "host"
    candidates = [name, f"{stem}_{slug}{suffix}",
                  *(f"{stem}_{slug}-{i}{suffix}" for i in range(2, 1000))]
    for candidate in candidates:
        target = folder / candidate
        try:
            os.link(part, target)  # fails if the name is taken: nothing is replaced
        except FileExistsError:
            continue
        return target
    raise RemoteError(f"{host}: no free name for {name} in {folder}",
                      "move older bundles away", kind="fetch")


def attach(ticket: str, path: Path) -> str:
    """Attach a fetched, verified bundle to the local ticket; a line saying what
    happened (never raises: the bundle is home either way)."""
    from toolkit.tickets.store import default_path, open_store
    from toolkit.tickets.workflow import attach as attach_bundle

    store_path = default_path()
    db = store_path / "tickets.db" if store_path.is_dir() else store_path
    if not db.is_file():
        return f"not attached: no ticket store at {db}"
    try:
        store = open_store(store_path)
        try:
            if not store.exists(ticket):
                return f"not attached: ticket {ticket} is not in {db}"
            from toolkit.tickets.model import os_user

            t, att, added = attach_bundle(store, ticket, path, os_user())
        finally:
            store.close()
    except SupportkitError as exc:
        return f"not attached: {exc.one_line()}"
    return f"attached to {t.id}" if added else f"already attached to {t.id}"


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:200] if lines else ""


def stderr_say(prefix: str) -> Say:
    """Progress lines on stderr, prefixed with the host, escaped: they come from the
    remote machine."""
    from toolkit.term import term

    def say(line: str) -> None:
        try:
            sys.stderr.write(f"{prefix}{term(line)}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass

    return say
