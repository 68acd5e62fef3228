"""Opening a delivery file: checksum, gzip, BOM and the encoding detected from its bytes (§3)."""

import codecs
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from otp_pipeline.lib.errors import StructuralError
from otp_pipeline.lib.ingestion.line_breaks import LineBreaks, LineBreakScan

CHUNK = 1 << 20
UTF8_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class FileFacts:
    """What is known of a file before it is parsed: checksum and encoding."""

    sha256: str
    encoding: str  # "utf-8" or "cp1252"
    has_bom: bool
    # The lines' breaks, for DuckDB's scanner: None when it may not read the file (not
    # UTF-8, a lone `\r`, ...).
    line_breaks: LineBreaks | None = None


def sha256_of(path: Path) -> str:
    """SHA-256 of the file as delivered (the compressed bytes for a `.gz`)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _open_bytes(path: Path) -> io.BufferedIOBase:
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


class _Hashing(io.RawIOBase):
    """A byte stream that feeds every byte read through it to a digest."""

    def __init__(self, raw: io.BufferedIOBase, digest):
        self._raw, self._digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        self._digest.update(memoryview(buffer)[:count])
        return count


def _scan(
    path: Path, label: str, encoding: str, digest=None, breaks: LineBreakScan | None = None
) -> tuple[bool, int, bool]:
    """Decode the whole file strictly in `encoding`, BOM dropped, hashing the bytes as
    delivered into `digest` and counting line breaks into `breaks` on the way:
    (decodes, decompressed size, has BOM).

    With a digest, the file is read to its end even past a decoding error, so that the
    checksum is whole; the same pass finds gzip faults.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    decodes, size, has_bom = True, 0, False
    with open(path, "rb") as raw:
        source = io.BufferedReader(_Hashing(raw, digest), CHUNK) if digest else raw
        stream = gzip.GzipFile(fileobj=source, mode="rb") if path.name.endswith(".gz") else source
        try:
            while chunk := stream.read(CHUNK):
                if size == 0 and chunk.startswith(UTF8_BOM):
                    has_bom, chunk = True, chunk[len(UTF8_BOM) :]
                    size += len(UTF8_BOM)
                size += len(chunk)
                if breaks is not None:
                    breaks.feed(chunk)
                if decodes:
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        decodes = False
                        if digest is None:
                            break
        except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as error:
            raise StructuralError(label, f"cannot be decompressed as gzip ({error})") from error
        if digest is not None:
            while source.read(CHUNK):  # bytes after the gzip stream still count
                pass
    if decodes:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            decodes = False
    return decodes, size, has_bom


def inspect_file(path: Path, label: str, encodings: tuple[str, ...]) -> FileFacts:
    """Checksum and encoding of a delivery: the BOM dropped, then each encoding tried strictly.

    The whole file is decoded before a line is parsed: an encoding is never guessed from a
    sample, because one stray byte at the end would otherwise decide it too late. The
    checksum is taken in the same pass as the first decoding.
    """
    digest, breaks = hashlib.sha256(), LineBreakScan()
    decodes, size, has_bom = _scan(path, label, encodings[0], digest, breaks)
    if size == 0:
        raise StructuralError(label, "empty file (0 bytes)")
    encoding = encodings[0]
    for candidate in encodings[1:]:
        if decodes:
            break
        encoding = candidate
        decodes = _scan(path, label, candidate)[0]
    if decodes:
        line_breaks = breaks.result() if encoding == "utf-8" else None
        return FileFacts(digest.hexdigest(), encoding, has_bom, line_breaks)
    names = " nor ".join("Windows-1252" if e == "cp1252" else "UTF-8" for e in encodings)
    raise StructuralError(label, f"cannot be decoded as {names}")


@contextmanager
def open_text(path: Path, label: str, facts: FileFacts) -> Iterator[io.TextIOBase]:
    """The file as text in its detected encoding, BOM dropped, newlines left untouched."""
    raw = _open_bytes(path)
    try:
        if facts.has_bom:
            raw.read(len(UTF8_BOM))
        text = io.TextIOWrapper(raw, encoding=facts.encoding, errors="strict", newline="")
        yield text
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise StructuralError(label, f"cannot be decompressed as gzip ({error})") from error
    finally:
        raw.close()
