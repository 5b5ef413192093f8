"""Every user-facing sentence lives in handlers/templates/<feature>/<locale>.j2 as a macro."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from handlers.core.vocabulary import term

TEMPLATES = Path(__file__).parent.parent / "templates"
LOCALES = ("zh-CN", "en")
DEFAULT_LOCALE = "zh-CN"
_YEAR: ContextVar[int | None] = ContextVar("dangjian_this_year", default=None)
_TODAY: ContextVar[date | None] = ContextVar("dangjian_today", default=None)


def this_day_is(day: date) -> None:
    """The local day of the message or push being answered (its clock's): dates in its year are
    written without the year, others with it; examples are dated from it."""
    _YEAR.set(day.year)
    _TODAY.set(day)


_NAMES: ContextVar[tuple[str, ...]] = ContextVar("dangjian_example_names", default=())
SAMPLE_NAMES = ("赵强", "钱多多", "冯军")


def these_names_are(names: tuple[str, ...]) -> None:
    """Names of the asker's own branch, for example lines (the sample's when there are none)."""
    _NAMES.set(names)


def example_name(i: int = 0) -> str:
    names = _NAMES.get() or SAMPLE_NAMES
    return names[i % len(names)] if len(names) > i else SAMPLE_NAMES[i % len(SAMPLE_NAMES)]


def example_day(days: int = 1, iso: bool = False) -> str:
    """A date for an example line, `days` after today (so that it is never refused as past)."""
    day = (_TODAY.get() or date.today()) + timedelta(days=days)
    return day.isoformat() if iso else f"{day.month}月{day.day}日"


def normalize_locale(value: str | None) -> str:
    if not value:
        return DEFAULT_LOCALE
    low = value.lower()
    if low.startswith("en"):
        return "en"
    return DEFAULT_LOCALE


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["hm"] = lambda dt: dt.strftime("%H:%M")
    env.filters["md"] = _month_day
    env.globals["this_year"] = lambda: _YEAR.get() or date.today().year
    env.globals["example_day"] = example_day
    env.globals["example_name"] = example_name
    env.globals["term"] = term
    return env


def _month_day(dt: Any, locale: str = DEFAULT_LOCALE) -> str:
    if locale == "en":
        return str(dt.strftime("%b %d (%a)"))
    week = "一二三四五六日"[dt.weekday()]
    return f"{dt.month}月{dt.day}日（周{week}）"


@lru_cache(maxsize=64)
def _module(feature: str, locale: str) -> Any:
    return environment().get_template(f"{feature}/{locale}.j2").module


def render(key: str, locale: str = DEFAULT_LOCALE, /, **params: Any) -> Markup:
    """Render 'feature.sentence' in the locale; parameters are escaped by the template engine."""
    feature, _, name = key.partition(".")
    macro = getattr(_module(feature, normalize_locale(locale)), name, None)
    if macro is None:
        raise KeyError(f"no template sentence {key!r} for {locale}")
    return Markup(str(macro(**params)).strip())


def sentences(feature: str, locale: str) -> set[str]:
    """Names of the sentences a feature defines in a locale (tests compare locales with it)."""
    module = _module(feature, locale)
    return {n for n in dir(module) if not n.startswith("_")}
