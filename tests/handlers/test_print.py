"""The ledger as an office prints it: every sheet opened in LibreOffice Calc (Debian's
libreoffice-calc-nogui, headless) and exported to A4 PDF, every page's body text at 9 pt or more.
The pages are also drawn as pictures under data/prints/ (not committed) to be looked at."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTTextContainer, LTTextLine

from tests.handlers.test_ledger_truth import ENGLISH_CHAT
from tests.harness import REGION_CHAT, Harness
from tests.year import seed_year

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
MIN_PT = 9.0
OUT = Path("data/prints")


def to_pdf(xlsx: Path, work: Path) -> Path:
    """LibreOffice's own export, with a profile of its own (no clash with another running office)."""
    assert SOFFICE, "the print test needs LibreOffice: apt-get install libreoffice-calc-nogui"
    profile = (work / "lo-profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(work),
         str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return work / f"{xlsx.stem}.pdf"


def page_sizes(pdf: Path) -> list[tuple[float, str]]:
    """Per page: the smallest size of its text, and the page's first words."""
    out = []
    for page in extract_pages(str(pdf)):
        sizes, first = [], ""
        for box in page:
            if not isinstance(box, LTTextContainer):
                continue
            first = first or box.get_text().strip()[:30]
            for line in box:
                if isinstance(line, LTTextLine):
                    sizes += [ch.size for ch in line if isinstance(ch, LTChar) and ch.get_text().strip()]
        out.append((min(sizes, default=99.0), first))
    return out


@pytest.mark.parametrize("chat,text", [(REGION_CHAT, "导出台账 本年"), (ENGLISH_CHAT, "/export this year")])
async def test_every_printed_page_is_readable(h: Harness, tmp_path: Path, chat: str, text: str) -> None:
    await seed_year(h)
    await h.say("绑定 城东联合党委", user="u-李红", chat=ENGLISH_CHAT)
    await h.say("语言 en", user="u-李红", chat=ENGLISH_CHAT)
    replies = await h.send(h.incoming(text, user="u-李红", chat=chat))
    assert replies[0].file is not None
    xlsx = tmp_path / "ledger.xlsx"
    xlsx.write_bytes(replies[0].file.data)
    pdf = await asyncio.to_thread(to_pdf, xlsx, tmp_path)
    pages = page_sizes(pdf)
    assert len(pages) >= 14  # every sheet printed
    small = [(n, size, first) for n, (size, first) in enumerate(pages, 1) if size < MIN_PT]
    assert not small, small
    if shutil.which("pdftoppm"):  # pictures of the pages, to look at
        target = OUT / ("zh" if chat == REGION_CHAT else "en")
        target.mkdir(parents=True, exist_ok=True)
        draw = ["pdftoppm", "-r", "60", "-png", str(pdf), str(target / "page")]
        await asyncio.to_thread(subprocess.run, draw, check=True, timeout=120)
