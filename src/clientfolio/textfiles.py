"""The encoding of a text file, told from its content (a leaf: it needs
nothing of the domain; the importer and the leak tracer both use it).

``detect_encoding`` decides, in this order:

- by the byte order mark: UTF-8 (``utf-8-sig``), UTF-16 (``utf-16``);
- UTF-16 without BOM (``utf-16-le`` / ``utf-16-be``) when, in the first
  4 KB, every other byte is NUL (the high byte of ASCII text);
- ``None`` (binary content) when NUL bytes are there otherwise;
- ``utf-8`` when the first bytes that are not ASCII (in the head, or as far
  down the file as they first appear) read as UTF-8;
- else an 8-bit encoding, from the whole file (read in chunks, cheaply):
  bytes 0x80-0x9F are C1 control characters in ISO-8859-15 but ``€ ‚ … œ ’``
  in Windows-1252: any of them means ``cp1252``; else the bytes A6 A8 B4 B8
  BC BD BE next to letters (``Š š Ž ž Œ œ Ÿ`` in ISO-8859-15, the symbols
  ``¦ ¨ ´ ¸ ¼ ½ ¾`` in Windows-1252), or A4 anywhere (``€``, where
  Windows-1252 has ``¤``), mean ``iso-8859-15``; else the two read the same
  and ``cp1252`` is given.

No guess line by line: a file mixing UTF-8 and 8-bit lines is the reader's
to refuse (``ingest.sources``).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path

__all__ = ["CHUNK", "FORMULA_TRIGGERS", "detect_encoding", "eight_bit_encoding", "neutral", "utf16_without_bom"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet cell a formula (OWASP's CSV injection list)."""


def neutral(text: str) -> str:
    """``text`` made inert in a spreadsheet: a ``'`` before it when it starts
    with a formula trigger (``FORMULA_TRIGGERS``).  Every CSV or XLSX file the
    product writes for people (exports, labelled analysis files) uses it."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


CHUNK = 1 << 20
_HEAD = 64 * 1024
_NUL_PATTERN = 4096

_C1 = bytes(range(0x80, 0xA0))
_ISO_ONLY = b"\xa4\xa6\xa8\xb4\xb8\xbc\xbd\xbe"
_EURO, _ACUTE = 0xA4, 0xB4
_HINT_BUDGET = 100_000
_FIRST_HIGH = re.compile(rb"[\x80-\xff]")


def _letter(byte: int) -> bool:
    return 65 <= byte <= 90 or 97 <= byte <= 122 or (byte >= 0xC0 and byte not in (0xD7, 0xF7))


def _iso_hint(data: bytes, at: int) -> bool:
    """Whether the byte at ``at`` (one of A4 A6 A8 B4 B8 BC BD BE) reads as an
    ISO-8859-15 letter or euro sign there: next to a letter ("Sœur", "Œuvre");
    Ž (B4) only at the start of a word (after a letter it is Windows-1252's
    "´" typed as an apostrophe: "l´eau"); € (A4) anywhere, as Windows-1252's
    "¤" is never meant in a business file ("12,50 ¤")."""
    byte = data[at]
    if byte == _EURO:
        return True
    before = data[at - 1] if at > 0 else 0x20
    after = data[at + 1] if at + 1 < len(data) else 0x20
    if byte == _ACUTE:
        return _letter(after) and not _letter(before)
    return _letter(before) or _letter(after)


def _has_iso_hint(data: bytes, budget: list[int]) -> bool:
    """Whether ``data`` holds a byte read as ISO-8859-15 (``_iso_hint``),
    looking at no more than ``budget[0]`` candidate bytes (spent here): a file
    holding that many of ``¼ ½ ¾ ´ ¸`` as symbols is not hiding an ``œ``."""
    for byte in _ISO_ONLY:
        at = data.find(byte)
        while at >= 0 and budget[0] > 0:
            budget[0] -= 1
            if _iso_hint(data, at):
                return True
            at = data.find(byte, at + 1)
    return False


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` when every other byte of ``head`` (its
    first 4 KB) is NUL, as in UTF-16 text of Latin letters without BOM."""
    head = head[:_NUL_PATTERN]
    if len(head) < 4 or b"\x00" not in head:
        return None
    odd, even = head[1::2], head[0::2]
    if odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.2 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.8 * len(even) and odd.count(0) < 0.2 * len(odd):
        return "utf-16-be"
    return None


def eight_bit_encoding(chunks: Iterator[bytes]) -> str:
    """``cp1252`` or ``iso-8859-15`` for the bytes ``chunks`` (the whole
    file, in order): see the module's doc."""
    iso = False
    budget = [_HINT_BUDGET]
    tail = b""  # the end of the chunk before, for the neighbours of a byte at the start of this one
    for chunk in chunks:
        if not chunk.isascii():
            if len(chunk.translate(None, _C1)) != len(chunk):
                return "cp1252"  # C1 controls are not text: Windows-1252 it is, wherever they are
            iso = iso or (budget[0] > 0 and _has_iso_hint(tail + chunk, budget))
        tail = chunk[-3:]
    return "iso-8859-15" if iso else "cp1252"


def _is_utf8(data: bytes) -> bool:
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return True
    except UnicodeDecodeError:
        return False


def _chunks_of(source: bytes | Path, start: int = 0) -> Iterator[bytes]:
    if isinstance(source, bytes):
        for at in range(start, len(source), CHUNK):
            yield source[at : at + CHUNK]
        return
    with source.open("rb") as f:
        f.seek(start)
        while chunk := f.read(CHUNK):
            yield chunk


def detect_encoding(source: bytes | Path, head: bytes | None = None) -> str | None:
    """The encoding of the text ``source`` (its bytes, or the file at that
    path, read in chunks: fast on large files), or ``None`` for binary
    content.  ``head``: the first bytes of the file when already read (the
    first 64 KB are enough)."""
    if head is None:
        head = source[:_HEAD] if isinstance(source, bytes) else next(_chunks_of(source), b"")[:_HEAD]
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if (utf16 := utf16_without_bom(head)) is not None:
        return utf16
    if b"\x00" in head:
        return None
    if not head.isascii():
        return "utf-8" if _is_utf8(head) else eight_bit_encoding(_chunks_of(source))
    for chunk in _chunks_of(source, len(head)):  # ASCII so far: the first accents tell, however far down
        if not chunk.isascii():
            at = high.start() if (high := _FIRST_HIGH.search(chunk)) else 0
            return "utf-8" if _is_utf8(chunk[at : at + _HEAD]) else eight_bit_encoding(_chunks_of(source))
    return "utf-8"
