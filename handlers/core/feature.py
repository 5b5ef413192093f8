"""One declaration per feature: everything a feature adds to the bot, in the `FEATURE` its module
exports. The composition root (bot/app.py) keeps one ordered list of them and builds from it the
router (commands and buttons in the order 帮助 lists them), the push kinds, the message editors and
the periodic steps; nothing else names a feature's commands, pushes or steps a second time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from handlers.core.intent import Phrase
from handlers.core.outbox import OnMissed, Periodic, PushKind
from handlers.core.ports import Reply
from handlers.core.router import Command, Handler, Press
from storage.records import BindingRec
from storage.uow import UnitOfWork

# a message kept up to date in place (a sign-in board): how it reads now, from its edit key's rest
EditFn = Callable[[UnitOfWork, str, BindingRec | None, str, ZoneInfo], Awaitable[Reply | None]]


@dataclass(frozen=True)
class Feature:
    name: str
    commands: Sequence[Command] = ()
    buttons: Sequence[Press] = ()
    pushes: Sequence[PushKind[Any]] = ()
    edits: Mapping[str, EditFn] = field(default_factory=dict)  # edit key prefix -> renderer
    periodic: Sequence[Periodic] = ()
    on_contact: Handler | None = None  # a shared contact (anyone may share one)
    on_file: Handler | None = None  # a photo or document with a caption
    on_chatter: tuple[Callable[[str], bool], Handler] | None = None  # a group message that is no command
    on_missed: OnMissed | None = None
    phrases: Sequence[Phrase] = ()  # what people say for its commands (handlers/core/intent.py)
    topic: str = ""  # the topic 帮助 lists its commands under (handlers/help.py TOPICS)


def _by_name(pairs: Iterable[tuple[str, Any]], what: str) -> dict[str, Any]:
    """Each name once (a name twice is a mistake, refused at start)."""
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise ValueError(f"{what} {name} declared twice")
        found[name] = value
    return found


def push_kinds(features: Iterable[Feature]) -> dict[str, PushKind[Any]]:
    """Every feature's push kinds by name."""
    return _by_name(((k.name, k) for f in features for k in f.pushes), "push kind")


def edits(features: Iterable[Feature]) -> dict[str, EditFn]:
    """Every feature's message editors by edit key prefix."""
    return _by_name(((prefix, fn) for f in features for prefix, fn in f.edits.items()), "edit key")


def the_one(features: Iterable[Feature], hook: str) -> Any:
    """The hook exactly one feature declares (a shared contact has one handler)."""
    found = [getattr(f, hook) for f in features if getattr(f, hook) is not None]
    if len(found) > 1:
        raise ValueError(f"{hook} declared by {len(found)} features")
    return found[0] if found else None
