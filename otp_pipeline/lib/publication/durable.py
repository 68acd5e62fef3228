"""Writes that survive a power cut: a file's bytes and a folder's entries flushed to disk."""

import os
from pathlib import Path


def write_durably(path: Path, data: bytes) -> Path:
    """Write `data` to `path` and flush it to disk before returning: a month is swapped in
    only once every file in it would survive a power cut."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


def fsync_dir(folder: Path) -> None:
    """Make a folder's entries (new files, renames) durable, not only its files' contents."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
