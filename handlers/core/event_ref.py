"""What names an event: its kind as people write it, its number (#12), and which chats see it.
Shared by the features that point at events (sign-in, records, the calendar, compliance)."""

from __future__ import annotations

from handlers.core.access import Node
from handlers.core.timeparse import numbered
from storage.records import BindingRec, EventRec

KINDS: dict[str, str] = {
    "书记例会": "secretary_meeting",
    "例会": "secretary_meeting",
    "专题党课": "party_lesson",
    "党课": "party_lesson",
    "党员活动日": "activity_day",
    "主题党日": "activity_day",
    "活动日": "activity_day",
    "支部党员大会": "general_meeting",
    "党员大会": "general_meeting",
    "支委会": "committee",
    "党小组会": "group_meeting",
    "其他": "other",
    "活动": "other",
}
EN_KINDS = {v: v for v in KINDS.values()} | {
    "secretary": "secretary_meeting",
    "lesson": "party_lesson",
    "activity": "activity_day",
    "meeting": "general_meeting",
    "committee": "committee",
    "group": "group_meeting",
    "other": "other",
}


def kind_of(word: str) -> str | None:
    """书记例会 / secretary / secretary_meeting -> secretary_meeting."""
    return KINDS.get(word) or EN_KINDS.get(word.lower())


def parse_event_ref(args: str) -> tuple[int | None, str]:
    """'#12 rest' -> (12, 'rest') (full-width digits too); anything else -> (None, args)."""
    number, rest = numbered(args, hash_required=True)
    return number, rest


def visible_in(event: EventRec, binding: BindingRec | Node) -> bool:
    """Events a chat (or the node a private chat speaks for) sees: its branch's (joint events of
    which it is a partner too), and the region's (secretary meetings only in region chats). A
    党总支's or 编组's own chat sees none: its events are its branches', signed in there."""
    if event.region_id != binding.region_id or getattr(binding, "unit_id", None) is not None:
        return False
    if event.branch_id is None:
        return binding.branch_id is None or event.kind != "secretary_meeting"
    return binding.branch_id is not None and binding.branch_id in event.branches


def visible_in_node(node: Node, binding: BindingRec) -> bool:
    """Whether a chat is one of the places a node's events are shown: the node's own chat."""
    return node.region_id == binding.region_id and node.branch_id == binding.branch_id and binding.unit_id is None


def sides(event: EventRec, names: dict[int, str]) -> str | None:
    """The branch an event is of, or a joint event's branches ("红星机械党支部＋兴业商户联合党支部");
    None for the region's."""
    return "＋".join(names.get(b, "?") for b in event.branches) or None
