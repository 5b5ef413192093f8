"""Charts as PNG files, drawn with matplotlib in a CJK font that ships with the project's
dependencies (Noto Sans CJK), so Chinese renders on a machine without fonts of its own."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 8.0, 4.5, 120  # 960 x 540 pixels
ROW_IN = 0.42  # a horizontal bar's row: a region of 30 branches is 14 inches tall
RED, GOLD = "#C00000", "#E46C0A"
_lock = threading.Lock()  # matplotlib's font cache is shared; draw one chart at a time


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Register the bundled CJK font with matplotlib; the family name charts are drawn in.
    matplotlib is loaded here, on the first chart, not when the bot starts (it costs every
    process, the command line's too, half a second)."""
    import matplotlib

    matplotlib.use("Agg")
    import noto_cjk_sans_otc
    from matplotlib import font_manager

    font_manager.fontManager.addfont(noto_cjk_sans_otc.FONT_PATH)
    return str(font_manager.FontProperties(fname=noto_cjk_sans_otc.FONT_PATH).get_name())


def _figure(height: float = HEIGHT_IN) -> Figure:
    import matplotlib
    from matplotlib.figure import Figure

    family = cjk_family()
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
    fig.set_layout_engine("constrained")
    for key in ("font.family", "font.sans-serif"):
        matplotlib.rcParams[key] = [family, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return fig


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def bars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    percent: bool,
    xlabel: str = "",
    none_label: str = "—",
) -> bytes:
    """Horizontal bars, one row per label in the order given, the whole label beside its bar and
    the value at its end (percent: values are 0..1, the axis in %; None: no bar, `none_label`)."""
    with _lock:
        rows = len(labels)
        fig = _figure(height=max(HEIGHT_IN * 0.6, 1.2 + ROW_IN * rows))
        ax = fig.add_subplot()
        shown = [0.0 if v is None else (v * 100 if percent else float(v)) for v in values]
        drawn = ax.barh(range(rows), shown, color=RED if percent else GOLD, height=0.6)
        ax.set_yticks(range(rows), list(labels))
        ax.invert_yaxis()  # the first label on top, as read
        texts = [
            none_label if v is None else (f"{x:.0f}%" if percent else f"{x:g}")
            for v, x in zip(values, shown, strict=True)
        ]
        ax.bar_label(drawn, labels=texts, padding=3)
        if percent:
            ax.set_xlim(0, 112)
            from matplotlib.ticker import PercentFormatter

            ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        else:
            ax.set_xlim(0, max(shown, default=0) * 1.15 or 1)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
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
