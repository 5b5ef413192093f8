"""Photos attached to meeting records, kept as files under the media folder (DANGJIAN_MEDIA_DIR).

A file is named by the SHA-256 of its content (the same photo sent twice is kept once), its type
is read from its content (never from a name the sender chose) and it must decode as an image.
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
MAX_PIXELS = 80_000_000  # a larger picture is refused (decompression bombs)
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
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError, Warning):
        return None
    return kind


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

    def put(self, data: bytes) -> Stored:
        """Keep a photo (checked by content); returns its name. Written whole or not at all."""
        kind = sniff(data)
        if kind is None:
            raise NotAnImage()
        digest = hashlib.sha256(data).hexdigest()
        target = self._file(digest, kind)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.root, 0o700)
            tmp = target.with_suffix(f".{os.getpid()}.part")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        return Stored(digest, kind, len(data))

    def find(self, sha256: str) -> Path | None:
        folder = self.root / sha256[:2]
        return next(iter(sorted(folder.glob(f"{sha256}.*"))), None) if folder.is_dir() else None

    def thumbnail(self, sha256: str, size: int) -> tuple[bytes, int, int] | None:
        """A PNG at most `size` pixels on its longer side, with its width and height."""
        path = self.find(sha256)
        if path is None:
            return None
        try:
            with Image.open(path) as image:
                image.thumbnail((size, size))
                out = io.BytesIO()
                image.convert("RGB").save(out, "PNG")
                return out.getvalue(), image.width, image.height
        except (OSError, ValueError):
            return None
