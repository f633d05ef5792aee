"""Opening a user's file safely: only regular files, never a read that cannot end.

Every path Lookalike reads a photo from may be something else by the time it is opened: a named
pipe (a read blocks forever), a link to ``/dev/zero`` (a read never ends), a 6 GB file that is not
a photo at all but is named ``.jpg``. So :func:`open_regular` opens without blocking
(``O_NONBLOCK``: opening a pipe with no writer returns at once), then asks the *opened* file what
it is (``fstat``) and refuses anything but a regular file; and :func:`read_image_file` sniffs the
first bytes and refuses a file larger than any real photo of its format before reading it, then
reads in bounded chunks, never more than the size it checked.
"""

from __future__ import annotations

import errno
import os
import stat as stat_mod
from typing import BinaryIO, Protocol

from desktop_app.errors import DecodeError

CHUNK = 1 << 20
SNIFF_BYTES = 64
MiB = 1 << 20

#: Largest file accepted per format (bytes): well above any real photo (a 400-megapixel JPEG,
#: a 150-megapixel 16-bit TIFF), far below what would exhaust a computer's memory.
MAX_FILE_BYTES: dict[str, int] = {
    "JPEG": 512 * MiB, "PNG": 1024 * MiB, "TIFF": 1280 * MiB, "BMP": 640 * MiB, "GIF": 256 * MiB,
    "WEBP": 256 * MiB, "HEIF": 512 * MiB, "RAW": 512 * MiB,
}
#: A file whose first bytes are no image signature we know is read only up to this size (a few
#: formats, e.g. TGA, have no signature; anything bigger is not a photo).
MAX_UNKNOWN_BYTES = 64 * MiB

_KINDS = {
    stat_mod.S_IFIFO: "a named pipe", stat_mod.S_IFCHR: "a device", stat_mod.S_IFBLK: "a disk device",
    stat_mod.S_IFSOCK: "a socket", stat_mod.S_IFDIR: "a folder",
}


class TransientDecodeError(DecodeError):
    """The file could not be read *this time* (permission denied, I/O error, out of memory).

    Unlike a corrupt file, such a failure can go away without the file changing (``chmod``
    does not touch the mtime), so the index retries these files on every run.
    """


def sniff(head: bytes, path: str = "") -> str | None:
    """The format the first bytes of a file announce ("JPEG", "TIFF", "RAW"...), or None."""
    if head.startswith(b"\xff\xd8"):
        return "JPEG"
    if head.startswith(b"\x89PNG"):
        return "PNG"
    if head.startswith(b"GIF8"):
        return "GIF"
    if head.startswith((b"IIRO", b"IIRS", b"IIU\x00", b"FUJIFILM", b"FOVb", b"\x00MRM")) or head[6:14] == b"HEAPCCDR":
        return "RAW"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"   # also most camera RAW formats (DNG, NEF, CR2, ARW...)
    if head.startswith(b"BM"):
        return "BMP"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        return "HEIF"   # HEIC/HEIF/AVIF, and Canon CR3
    return None


def _size_text(size: int) -> str:
    return f"{size / (1 << 30):.1f} GB" if size >= 1 << 30 else f"{size / MiB:.0f} MB"


def _read_error(path: str, err: OSError) -> DecodeError:
    if isinstance(err, FileNotFoundError):
        return DecodeError(path, "file not found (moved or deleted?)")
    if isinstance(err, PermissionError):
        return TransientDecodeError(path, "permission denied")
    if isinstance(err, IsADirectoryError):
        return DecodeError(path, "is a folder, not a file")
    if err.errno == errno.ELOOP:
        return DecodeError(path, "is a loop of symbolic links")
    return TransientDecodeError(path, f"cannot read the file ({err.strerror or err})")


def open_regular(path: str) -> tuple[BinaryIO, os.stat_result]:
    """Open ``path`` for reading, without ever blocking on it, and only if it is a regular file
    (a symbolic link is followed to what it names). Raises :class:`DecodeError` naming what it
    is otherwise ("is a named pipe, not a photo")."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise _read_error(path, err) from err  # __cause__ keeps the errno (disk failing, ...)
    try:
        st = os.fstat(fd)
        if not stat_mod.S_ISREG(st.st_mode):
            kind = _KINDS.get(stat_mod.S_IFMT(st.st_mode), "not a regular file")
            raise DecodeError(path, f"is {kind}, not a photo file" if kind.startswith("a ") else kind)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # regular files ignore it; keep reads ordinary
        return os.fdopen(fd, "rb", buffering=0), st
    except BaseException:
        os.close(fd)
        raise


def check_size(path: str, head: bytes, size: int) -> None:
    """Refuse a file too large for the format its first bytes announce (before reading it)."""
    fmt = sniff(head, path)
    if fmt is None:
        if size > MAX_UNKNOWN_BYTES:
            raise DecodeError(path, f"not an image ({_size_text(size)} without an image signature); not read")
        return
    limit = MAX_FILE_BYTES[fmt]
    if size > limit:
        raise DecodeError(path, f"file too large for a {fmt} photo ({_size_text(size)}, at most "
                                f"{_size_text(limit)}); not read")


def read_image_file(path: str) -> tuple[bytes, os.stat_result]:
    """The bytes of the photo at ``path`` and its status, from one open file (size and mtime
    match the bytes). Only regular files of a sane size for their format are read, in bounded
    chunks; raises :class:`DecodeError` (``TransientDecodeError`` for what may pass) otherwise."""
    f, st = open_regular(path)
    with f:
        try:
            head = f.read(SNIFF_BYTES) or b""
            check_size(path, head, st.st_size)
            f.seek(0)
            # The checked size in one read (one buffer, no joining copy: ~0.5 ms of a 3 MB photo);
            # then chunks if it came short (a file shrinking meanwhile, a network file system).
            first = f.read(st.st_size) if st.st_size > 0 else b""
            parts = [first or b""]
            remaining = st.st_size - len(parts[0])
            while remaining > 0:  # never more than the size checked, even if the file grows
                chunk = f.read(min(CHUNK, remaining))
                if not chunk:
                    break
                parts.append(chunk)
                remaining -= len(chunk)
        except OSError as err:
            raise _read_error(path, err) from None
    return (parts[0] if len(parts) == 1 else b"".join(parts)), st


class Hasher(Protocol):
    """What hashing a file needs of a hashlib object (sha256, blake2b, ...)."""

    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


def hash_regular_file(path: str, hasher: Hasher) -> os.stat_result:
    """Feed the bytes of the regular file at ``path`` to ``hasher`` in bounded chunks; returns
    its status. Raises :class:`DecodeError` when it isn't a readable regular file, OSError
    when a read fails."""
    f, st = open_regular(path)
    with f:
        while chunk := f.read(CHUNK):
            hasher.update(chunk)
    return st
