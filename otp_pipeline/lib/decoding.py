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

CHUNK = 1 << 20
UTF8_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class FileFacts:
    """What is known of a file before it is parsed: checksum and encoding."""

    sha256: str
    encoding: str  # "utf-8" or "cp1252"
    has_bom: bool


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


def _chunks(path: Path, label: str) -> Iterator[bytes]:
    """The decompressed bytes of the file, chunk by chunk."""
    try:
        with _open_bytes(path) as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as error:
        raise StructuralError(label, f"cannot be decompressed as gzip ({error})") from error


def _decodes_whole(path: Path, label: str, encoding: str, skip: int) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        for index, chunk in enumerate(_chunks(path, label)):
            decoder.decode(chunk[skip:] if index == 0 else chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def inspect_file(path: Path, label: str, encodings: tuple[str, ...]) -> FileFacts:
    """Checksum and encoding of a delivery: the BOM dropped, then each encoding tried strictly.

    The whole file is decoded before a line is parsed: an encoding is never guessed from a
    sample, because one stray byte at the end would otherwise decide it too late.
    """
    sha256 = sha256_of(path)
    head = next(_chunks(path, label), b"")
    if not head:
        raise StructuralError(label, "empty file (0 bytes)")
    has_bom = head.startswith(UTF8_BOM)
    skip = len(UTF8_BOM) if has_bom else 0
    for encoding in encodings:
        if _decodes_whole(path, label, encoding, skip):
            return FileFacts(sha256, encoding, has_bom)
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
