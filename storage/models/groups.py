"""Party groups (党小组) of a branch and self-organized groups (自主党小组): members, leader,
the leader's election, the yearly plan whose items members claim, and monthly reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class PartyGroup(Base):
    __tablename__ = "party_groups"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), index=True)  # the initiator's branch
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(10))  # branch (党小组) / self (自主党小组)
    goal: Mapped[str] = mapped_column(Text, default="")
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    # pending (applied, waiting for approval) / active / rejected / dissolved
    status: Mapped[str] = mapped_column(String(12))
    created_by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(20))  # where it was set up: news of it goes there
    chat_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PartyGroupMember(Base):
    """A member of a group; a guest (an activist) joins its activities without counting to its size."""

    __tablename__ = "party_group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("party_groups.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupVote(Base):
    """An election of a group's leader among its members, open until its deadline."""

    __tablename__ = "group_votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("party_groups.id"), index=True)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / closed
    winner_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupBallot(Base):
    __tablename__ = "group_ballots"

    vote_id: Mapped[int] = mapped_column(ForeignKey("group_votes.id"), primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupPlanItem(Base):
    """An item of a group's yearly plan (numbered per region and year: 申领 #n), claimed by a member."""

    __tablename__ = "group_plan_items"
    __table_args__ = (UniqueConstraint("region_id", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    group_id: Mapped[int] = mapped_column(ForeignKey("party_groups.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GroupReport(Base):
    """The leader's report of a month (小组汇报)."""

    __tablename__ = "group_reports"

    group_id: Mapped[int] = mapped_column(ForeignKey("party_groups.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    text: Mapped[str] = mapped_column(Text)
    by: Mapped[int] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
