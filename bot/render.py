"""Turning a Reply's HTML-safe text into what each platform shows."""

from __future__ import annotations

import html
import re

from markupsafe import Markup

_TAG = re.compile(r"<[^>]+>")


def to_plain(text: Markup | str) -> str:
    """Plain text for a terminal: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", str(text)))
