"""Photos attached to meeting records, kept as files under the media folder (DANGJIAN_MEDIA_DIR).

A file is named by the SHA-256 of its content (the same photo sent twice is kept once), its type
is read from its content (never from a name the sender chose) and it must decode as an image of
at most 40 M pixels whose decoded size fits a budget (a small file can unpack into gigabytes).
Its thumbnails (the web page's and the ledger's) are made once, when it comes in, and kept beside
it: a photo is decoded whole once, never per view or per export.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

MAX_PHOTO = 10 * 1024 * 1024  # bytes a photo may have
MAX_PIXELS = 40_000_000  # a larger picture is refused (decompression bombs)
MAX_DECODED = 128 * 1024 * 1024  # bytes a picture may take once decoded (pixels × bands × band width)
WEB_THUMB, LEDGER_THUMB = 800, 160  # the web page's and the ledger's thumbnails, longer side in pixels
THUMB_SIZES = (WEB_THUMB, LEDGER_THUMB)
KINDS = ("jpeg", "png", "gif", "webp")
_MAGIC = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def sniff(data: bytes) -> str | None:
    """The image type of some bytes by their content: jpeg / png / gif / webp, or None."""
    kind = next((k for magic, k in _MAGIC if data.startswith(magic)), None)
    if kind is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind = "webp"
    if kind is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS or decoded_size(image) > MAX_DECODED:
                    return None
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        return None
    return kind


def decoded_size(image: Image.Image) -> int:
    """Bytes the picture takes once decoded: every pixel, every band, at the band's width."""
    width = 2 if image.mode.startswith("I;16") else 4 if image.mode in ("I", "F") else 1
    return image.width * image.height * len(image.getbands()) * width


@dataclass(frozen=True)
class Stored:
    sha256: str
    kind: str
    size: int


class NotAnImage(ValueError):
    pass


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _file(self, sha256: str, kind: str) -> Path:
        return self.root / sha256[:2] / f"{sha256}.{kind}"

    def _thumb_file(self, sha256: str, size: int) -> Path:
        return self.root / sha256[:2] / f"{sha256}.t{size}.png"

    def put(self, data: bytes) -> Stored:
        """Keep a photo (checked by content) and its thumbnails; returns its name. Written whole or
        not at all. Blocking (it decodes the picture): call it off the event loop."""
        kind = sniff(data)
        if kind is None:
            raise NotAnImage()
        digest = hashlib.sha256(data).hexdigest()
        target = self._file(digest, kind)
        if not target.exists():
            self._write(target, data)
        for size in THUMB_SIZES:
            if not self._thumb_file(digest, size).exists():
                self._make_thumbnail(target, digest, size)
        return Stored(digest, kind, len(data))

    def _write(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        tmp = target.with_suffix(f".{os.getpid()}.part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)

    def find(self, sha256: str) -> Path | None:
        """The photo's own file (never one of its thumbnails)."""
        return next((f for kind in KINDS if (f := self._file(sha256, kind)).exists()), None)

    def _make_thumbnail(self, original: Path, sha256: str, size: int) -> Path | None:
        try:
            with Image.open(original) as image:
                if image.width * image.height > MAX_PIXELS or decoded_size(image) > MAX_DECODED:
                    return None  # kept before the limits were what they are: not decoded
                image.draft("RGB", (size, size))  # a JPEG is decoded at the smallest scale that will do
                image.thumbnail((size, size))
                out = io.BytesIO()
                image.convert("RGB").save(out, "PNG")
        except (OSError, ValueError, Image.DecompressionBombError):
            return None
        target = self._thumb_file(sha256, size)
        self._write(target, out.getvalue())
        return target

    def thumbnail(self, sha256: str, size: int) -> tuple[bytes, int, int] | None:
        """The PNG thumbnail kept for the photo (made now, once, for a photo kept before thumbnails
        were), with its width and height."""
        path = self._thumb_file(sha256, size)
        if not path.exists():
            original = self.find(sha256)
            made = self._make_thumbnail(original, sha256, size) if original is not None else None
            if made is None:
                return None
        try:
            data = path.read_bytes()
            with Image.open(io.BytesIO(data)) as image:
                return data, image.width, image.height
        except (OSError, ValueError):
            return None
