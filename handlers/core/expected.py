"""Who is expected (应到) at an event: the one rule every count of attendance starts from."""

from __future__ import annotations

from collections.abc import Sequence

EVERY_MEMBER = ("member", "committee_member", "branch_secretary", "regional_secretary", "admin")


def expected_filter(kind: str) -> Sequence[str]:
    """Roles expected (应到) at an event of this kind; activists may attend but are not counted.
    A 支委会 expects the branch committee (its secretary and the 支委), a 书记例会 the secretaries;
    lecturers (讲师) are never expected: they come to give their own lessons."""
    if kind == "secretary_meeting":
        return ("branch_secretary", "regional_secretary")
    if kind == "committee":
        return ("branch_secretary", "committee_member")
    return EVERY_MEMBER
