"""Charts as PNG files, drawn with matplotlib in a CJK font that ships with the project's
dependencies (Noto Sans CJK), so Chinese renders on a machine without fonts of its own."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 120  # 960 x 540 pixels
RED, GOLD = "#C00000", "#E46C0A"
_lock = threading.Lock()  # matplotlib's font cache is shared; draw one chart at a time


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register the bundled CJK font with matplotlib; the family name charts are drawn in."""
    import noto_cjk_sans_otc

    font_manager.fontManager.addfont(noto_cjk_sans_otc.FONT_PATH)
    return str(font_manager.FontProperties(fname=noto_cjk_sans_otc.FONT_PATH).get_name())


def _figure() -> Figure:
    family = cjk_family()
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    fig.set_layout_engine("constrained")
    for key in ("font.family", "font.sans-serif"):
        matplotlib.rcParams[key] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return fig


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def bars(title: str, labels: Sequence[str], values: Sequence[float], *, percent: bool, ylabel: str = "") -> bytes:
    """Vertical bars with their values written on them (percent: values are 0..1)."""
    with _lock:
        fig = _figure()
        ax = fig.add_subplot()
        shown = [v * 100 for v in values] if percent else list(values)
        drawn = ax.bar(range(len(labels)), shown, color=RED if percent else GOLD)
        ax.set_xticks(range(len(labels)), [_short(label) for label in labels], rotation=30 if len(labels) > 6 else 0)
        ax.bar_label(drawn, labels=[f"{v:.0f}%" if percent else f"{v:g}" for v in shown], padding=2)
        if percent:
            ax.set_ylim(0, 110)
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)


def pie(title: str, labels: Sequence[str], values: Sequence[int]) -> bytes:
    with _lock:
        fig = _figure()
        ax = fig.add_subplot()
        ax.pie(values, labels=[f"{label} {v}" for label, v in zip(labels, values, strict=True)], startangle=90)
        ax.set_title(title)
        ax.axis("equal")
        return _png(fig)


def _short(label: str, limit: int = 8) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
