"""What a file is, before its bytes go into a bundle: text in which encoding, compressed,
structured, or binary — and how each is redacted, or why it is refused.

- UTF-8 text (and text that is not valid UTF-8 but no other encoding either: its bytes
  pass through untouched) is redacted as it streams.
- UTF-16 (a BOM, or NULs at every other byte: what PowerShell 5.1 ``Out-File`` and
  transcripts write) and GB18030/GBK (Chinese Windows) text is decoded, redacted and
  written back in its own encoding, BOM included.
- gzip, bzip2 and xz members are decompressed, their content handled as any file, and
  compressed again; a stream that turns out damaged is cut there and says so.
- JSON is redacted value by value and stays valid (``structured``); a ``.json`` that
  is not strict JSON (JSONC settings, a truncated dump) is redacted line by line, and
  the manifest says so. YAML marks that would start a plain scalar are quoted.
- A binary file is kept byte for byte only when none of the text inside it (runs of
  printable ASCII or UTF-16) holds anything a rule would redact; otherwise it is not
  stored and the manifest says which rules found what (never the values). Archives
  whose members are compressed (zip, 7z, rar, cab, PDF streams) and key stores (.p12,
  .pfx, .jks, .keytab, .kdbx) cannot be checked and are refused with the reason.
"""

from __future__ import annotations

import bz2
import codecs
import lzma
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

from toolkit.redact import structured
from toolkit.redact.engine import Redactor

_HEAD = 64 * 1024
_CHUNK = 1 << 20
# Decompressed content is read to this bound (zip bombs); past it the member is cut.
INFLATE_MAX = 4 << 30

_COMPRESSED = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
)
_UNCHECKABLE = (
    (b"PK\x03\x04", "zip archive (also .docx, .xlsx, .jar)"),
    (b"PK\x05\x06", "zip archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"MSCF", "cabinet archive"),
    (b"%PDF-", "PDF document"),
)
_KEYSTORES = {".p12": "PKCS#12 key store", ".pfx": "PKCS#12 key store",
              ".jks": "Java key store", ".keystore": "Java key store",
              ".keytab": "Kerberos keytab", ".kdbx": "KeePass database"}
_BINARY = ((b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
           (b"BM", "bitmap image"), (b"RIFF", "RIFF media"), (b"\x7fELF", "ELF executable"),
           (b"MZ", "Windows executable"), (b"SQLite format 3", "SQLite database"),
           (b"\xd4\xc3\xb2\xa1", "pcap capture"), (b"\xa1\xb2\xc3\xd4", "pcap capture"),
           (b"\x0a\x0d\x0d\x0a", "pcapng capture"), (b"ID3", "MP3 audio"),
           (b"OggS", "Ogg media"), (b"\x1aE\xdf\xa3", "Matroska/WebM video"))
_REFUSE_HINT = "not stored: extract the text, check it, and attach that instead"


@dataclass
class Plan:
    """How a file goes in: ``chunks`` to store (None: refused) and ``note`` for the
    manifest (None: plain UTF-8 text, nothing to say)."""

    chunks: Iterator[bytes] | None
    note: dict[str, Any] | None = field(default=None)


def prepare(raw: IO[bytes], name: str, redactor: Redactor) -> Plan:
    """The plan for the seekable binary stream ``raw``, stored under ``name``."""
    if not redactor.enabled and redactor.pseudonyms is None:
        return Plan(iter(lambda: raw.read(_CHUNK), b""))
    head = raw.read(_HEAD)
    raw.seek(0)
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _KEYSTORES:
        return Plan(None, {"stored": False, "why": f"{_KEYSTORES[suffix]}: holds private "
                                                   f"keys or passwords; {_REFUSE_HINT}"})
    for magic, kind in _COMPRESSED:
        if head.startswith(magic):
            return _compressed(raw, name, redactor, kind)
    return _plain(raw, head, name, redactor, raw.read)


def _plain(raw: IO[bytes], head: bytes, name: str, redactor: Redactor,
           read: Callable[[int], bytes]) -> Plan:
    """A stream that is not compressed (or is what a compressed one holds)."""
    for magic, kind in _UNCHECKABLE:
        if head.startswith(magic):
            return Plan(None, {"stored": False, "why": f"{kind}: its content is compressed "
                                                       f"and cannot be checked for secrets; "
                                                       f"{_REFUSE_HINT}"})
    kind = sniff(head)
    blocks = iter(lambda: read(_CHUNK), b"")
    if kind == "binary":
        return _binary(raw, head, redactor)
    if kind in ("utf-16-le", "utf-16-be", "gb18030"):
        return Plan(_recoded(blocks, kind, redactor), {"encoding": kind})
    note: dict[str, Any] = {}  # filled as the chunks go: read it after them
    return Plan(structured.redact(blocks, name, head, redactor, note), note)


def sniff(head: bytes) -> str:
    """utf-8 | utf-16-le | utf-16-be | gb18030 | binary, from the first bytes."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and \
            not head.startswith(codecs.BOM_UTF32_LE):
        return "utf-16-le" if head.startswith(codecs.BOM_UTF16_LE) else "utf-16-be"
    sample = head[:8192]
    if b"\0" in sample:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.4 * len(odd) and even.count(0) <= 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) >= 0.4 * len(even) and odd.count(0) <= 0.05 * len(odd):
            return "utf-16-be"
        # A log with a run of NULs (a file preallocated, a crash mid-write) is still text.
        sample = sample.replace(b"\0", b"")
    if any(head.startswith(magic) for magic, _ in _BINARY) or head[257:262] == b"ustar" or \
            _controls(sample) > 0.02:
        return "binary"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:
            return "utf-8"  # a character cut by the end of the sample
    cut = sample[:sample.rfind(b"\n") + 1] or sample
    try:
        text = cut.decode("gb18030")
    except UnicodeDecodeError:
        return "utf-8"  # Latin-1 and the like: bytes pass through, ASCII rules apply
    wide = [c for c in text if ord(c) > 127]
    cjk = sum(1 for c in wide if "\u3000" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef")
    return "gb18030" if wide and cjk >= 0.6 * len(wide) else "utf-8"


_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")


def _controls(sample: bytes) -> float:
    return len(_CONTROL.findall(sample)) / len(sample) if sample else 0.0


def _recoded(blocks: Iterator[bytes], codec: str, redactor: Redactor) -> Iterator[bytes]:
    """Text in another encoding: decoded, redacted, encoded back (BOM kept)."""
    errors = "surrogatepass" if codec.startswith("utf-16") else "surrogateescape"
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    encoder = codecs.getincrementalencoder(codec)(errors=errors)
    bom = codecs.BOM_UTF16_LE if codec == "utf-16-le" else codecs.BOM_UTF16_BE
    first = True

    def texts() -> Iterator[str]:
        nonlocal first
        for block in blocks:
            if first and codec.startswith("utf-16") and block.startswith(bom):
                block = block[2:]
                yield "\ufeff"
            first = False
            text = decoder.decode(block)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    for piece in redactor.lines(texts()):
        yield encoder.encode(piece)
    yield encoder.encode("", final=True)


def _binary(raw: IO[bytes], head: bytes, redactor: Redactor,
            kept: Callable[[], Iterator[bytes]] | None = None,
            read: Callable[[], Iterator[bytes]] | None = None) -> Plan:
    """Keep a binary only if none of its text would be redacted or pseudonymized."""
    kind = next((k for magic, k in _BINARY if head.startswith(magic)),
                "tar archive" if head[257:262] == b"ustar" else "binary file")
    probe = Redactor(keywords=redactor.keywords, patterns=redactor.patterns)
    pseudo = None
    if redactor.pseudonyms is not None:
        from toolkit.redact.anonymize import Pseudonymizer

        pseudo = Pseudonymizer(redactor.pseudonyms.hostnames, redactor.pseudonyms.users)
    fired: set[str] = set()
    for text in strings(read() if read else iter(lambda: raw.read(_CHUNK), b"")):
        before = dict(probe.counts)
        out = b"".join(probe.chunks([text]))
        if out != text and _substantial(text, out):
            fired.update(k for k, n in probe.counts.items() if n > before.get(k, 0))
        if pseudo is not None:
            pseudo.apply(text.decode("utf-8", "surrogateescape"))
    if fired or (pseudo is not None and pseudo.counts):
        found = sorted(fired) + ([f"personal data ({', '.join(sorted(pseudo.counts))})"]
                                        if pseudo is not None and pseudo.counts else [])
        return Plan(None, {"stored": False, "why": f"{kind} with text inside that would be "
                                                   f"redacted ({', '.join(found)}); "
                                                   f"{_REFUSE_HINT}"})
    raw.seek(0)
    chunks = kept() if kept else iter(lambda: raw.read(_CHUNK), b"")
    return Plan(chunks, {"redacted": False, "why": f"{kind}: no text inside that looks like a "
                                                   "secret; stored as it is"})


_MARK = re.compile(rb"\[REDACTED:[\w.-]+\]")


def _substantial(text: bytes, out: bytes) -> bool:
    """Whether the redaction of binary strings took out a real secret: at least four
    characters on some line. Random bytes hold short printable runs that look like
    ``PSK:_*`` or `` -UF%mw`` about three times a gigabyte; a secret is longer."""
    before, after = text.split(b"\n"), out.split(b"\n")
    if len(before) != len(after):
        return True  # a block (a PEM key) was taken out whole
    return any(len(a) - len(_MARK.sub(b"", b)) >= 4
               for a, b in zip(before, after, strict=True) if a != b)


_ASCII_RUN = re.compile(rb"[\x20-\x7e\t]{6,}")
_UTF16_RUN = re.compile(rb"(?:[\x20-\x7e]\x00){6,}")


def strings(blocks: Iterator[bytes]) -> Iterator[bytes]:
    """The text inside binary data, as UTF-8 lines: printable ASCII runs and UTF-16LE
    runs of six characters or more (what ``strings`` and ``strings -el`` print)."""
    carry = b""
    for block in blocks:
        data = carry + block
        keep = max(0, len(data) - 4096)  # a run may go on into the next block
        carry = data[keep:]
        found = [m.group() for m in _ASCII_RUN.finditer(data, 0, keep)]
        found += [m.group().decode("utf-16-le").encode() for m in
                  _UTF16_RUN.finditer(data, 0, keep)]
        if found:
            yield b"\n".join(found) + b"\n"
    found = [m.group() for m in _ASCII_RUN.finditer(carry)]
    found += [m.group().decode("utf-16-le").encode() for m in _UTF16_RUN.finditer(carry)]
    if found:
        yield b"\n".join(found) + b"\n"


# ------------------------------------------------------------------ compressed members

class _Inflater:
    """Decompressed blocks of a gzip/bzip2/xz stream (several members in a row too),
    never more than ``_CHUNK`` at once whatever the ratio; ``damaged`` says where and
    why a stream ended early, ``cut`` that the bound was reached."""

    def __init__(self, raw: IO[bytes], kind: str) -> None:
        self.raw, self.kind = raw, kind
        self.total = 0
        self.damaged = ""
        self.cut = False

    def _new(self) -> Any:
        if self.kind == "gzip":
            return zlib.decompressobj(31)
        return bz2.BZ2Decompressor() if self.kind == "bzip2" else lzma.LZMADecompressor()

    def _step(self, d: Any, data: bytes) -> tuple[bytes, bytes]:
        """(output, input still to feed)."""
        if self.kind == "gzip":
            return d.decompress(data, _CHUNK), d.unconsumed_tail
        out = d.decompress(data, max_length=_CHUNK)
        return out, b"" if d.needs_input or d.eof else b"\0"  # b"\0": call again, empty

    def blocks(self) -> Iterator[bytes]:
        self.raw.seek(0)
        d, fed = self._new(), False
        try:
            for block in iter(lambda: self.raw.read(_CHUNK), b""):
                data = block
                while data:
                    out, rest = self._step(d, data if data != b"\0" or self.kind == "gzip"
                                           else b"")
                    fed = True
                    if out:
                        self.total += len(out)
                        if self.total > INFLATE_MAX:
                            self.cut = True
                            return
                        yield out
                    if d.eof:
                        rest = d.unused_data
                        if not rest.strip(b"\0"):
                            break  # padding after the last member
                        d, fed = self._new(), False
                    data = rest
            if fed and not d.eof:
                self.damaged = "it ends before its end marker"
        except _DAMAGED as exc:
            self.damaged = str(exc) or type(exc).__name__


_DAMAGED = (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError)


def _compressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip framing, mtime 0, no name
    if kind == "bzip2":
        return bz2.BZ2Compressor(9)
    return lzma.LZMACompressor()


def _compressed(raw: IO[bytes], name: str, redactor: Redactor, kind: str) -> Plan:
    probe = _Inflater(raw, kind)
    head = b""
    for block in probe.blocks():
        head += block
        if len(head) >= _HEAD:
            break
    if not head:
        return Plan(None, {"stored": False, "why": f"{kind} stream that cannot be "
                                                   f"decompressed ({probe.damaged}); "
                                                   f"{_REFUSE_HINT}"})
    note: dict[str, Any] = {"container": kind}
    stream = _Inflater(raw, kind)

    def inflated() -> Iterator[bytes]:
        yield from stream.blocks()
        if stream.cut:
            note["cut"] = f"decompressed past {INFLATE_MAX >> 30} GiB: the rest is not stored"
        elif stream.damaged:
            note["cut"] = (f"the {kind} stream is damaged after {stream.total} bytes "
                           f"({stream.damaged}): the rest is not stored")

    if any(head.startswith(m) for m, _ in (*_COMPRESSED, *_UNCHECKABLE)):
        return Plan(None, {"stored": False, "why": f"{kind} holding another archive; "
                                                   f"{_REFUSE_HINT}", "container": kind})
    if sniff(head) == "binary":
        # A tarball or an image inside: checked like any binary, stored as it came.
        plan = _binary(raw, head, redactor, read=inflated)
        if plan.note is not None:
            plan.note["container"] = kind
        return plan
    inner_name = name[:-len(PurePosixPath(name).suffix)] if PurePosixPath(name).suffix else name
    feed = iter(inflated())
    plan = _plain(raw, head, inner_name, redactor, lambda n: next(feed, b""))
    assert plan.chunks is not None
    inner = plan.note if plan.note is not None else {}

    def recompressed() -> Iterator[bytes]:
        assert plan.chunks is not None
        yield from _recompressed(plan.chunks, kind)
        note.update(inner)

    return Plan(recompressed(), note)


def _recompressed(chunks: Iterator[bytes], kind: str) -> Iterator[bytes]:
    comp = _compressor(kind)
    for chunk in chunks:
        out = comp.compress(chunk)
        if out:
            yield out
    yield comp.flush()
