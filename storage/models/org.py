"""The organization tree: region (联合党委) -> branch (党支部) -> member, and chat bindings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, UTCDateTime


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 启用日期: the day counting starts (none: the day the region was created, in local time)
    started_on: Mapped[date | None] = mapped_column(Date)


class Branch(Base):
    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # 撤销支部 / 合并支部: from this day on no longer a branch (its events and ledgers keep its name)
    closed_on: Mapped[date | None] = mapped_column(Date)


class Unit(Base):
    """A middle level between a region and its branches: a 党总支 (general branch, with its own
    secretary) or a 编组 (a group of enterprises led by a 组长单位, the lead branch). Its managers
    act on its branches as the region's officers do on the region."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))  # general (党总支) / cluster (编组)
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # 党总支书记
    lead_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))  # 编组's 组长单位
    activity_day: Mapped[int | None] = mapped_column(Integer)  # its fixed day of each month (1–31; 31: the last)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnitBranch(Base):
    """A branch in a 党总支 or 编组: at most one."""

    __tablename__ = "unit_branches"

    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)


class UnitNorm(Base):
    """A 党总支's or 编组's own norm: so many events of a kind per month, quarter or year held for the
    whole unit (expecting every one of its branches), beside the region's norms for each branch."""

    __tablename__ = "unit_norms"
    __table_args__ = (UniqueConstraint("unit_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    kind: Mapped[str] = mapped_column(String(30))
    per: Mapped[str] = mapped_column(String(10))  # month / quarter / year
    count: Mapped[int] = mapped_column(Integer)  # 0: none any more
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnitFund(Base):
    """Dues returned to a 党总支 or 编组 (amount > 0) and what it spent them on (amount < 0), in fen."""

    __tablename__ = "unit_funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(200))
    on_day: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Pairing(Base):
    """结对共建: two branches paired from a day on (until ended), holding joint events. Two branches
    of one region, or (b_region_id set) a branch of this region with one of another region's, which
    that region's committee consents to: proposed until then."""

    __tablename__ = "pairings"
    __table_args__ = (Index("ix_pairings_region", "region_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    a_branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    b_branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    # across regions: b's region (the one asked to consent); None within one region
    b_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # active / proposed (across regions, until the other committee consents) / declined
    status: Mapped[str] = mapped_column(String(12), default="active", server_default="active")
    note: Mapped[str] = mapped_column(Text, default="")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("branch_id", "name"), Index("ix_members_region", "region_id", "branch_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    name: Mapped[str] = mapped_column(String(50))
    # member / activist / committee_member / organizer (组织委员) / branch_secretary / regional_secretary /
    # admin / lecturer
    role: Mapped[str] = mapped_column(String(30))
    phone: Mapped[str | None] = mapped_column(String(30))
    # the WeCom userid the enterprise issued to this member (the roster's wecom_userid column):
    # a WeCom account with this id is this member, no approval needed
    wecom_userid: Mapped[str | None] = mapped_column(String(100))
    is_mobile: Mapped[bool] = mapped_column(Boolean, default=False)  # 流动党员
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MemberAccount(Base):
    """One chat account (Telegram user id, WeCom userid, console name) linked to a member: one
    member has at most one account per platform, an account belongs to one member."""

    __tablename__ = "member_accounts"
    __table_args__ = (UniqueConstraint("platform", "user_id"), UniqueConstraint("member_id", "platform"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(100))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the account's private chat with the bot, once seen (a lecturer is asked there)
    dm_chat: Mapped[str | None] = mapped_column(String(100))


class ChatBinding(Base):
    """A group chat bound to one node of the tree: a whole region, one branch of it, or a 党总支 /
    编组 of it (unit_id; branch_id is then empty): a unit's chat hears the unit's own pushes and
    answers what concerns the unit only."""

    __tablename__ = "chat_bindings"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    push_key: Mapped[str | None] = mapped_column(String(200))  # WeCom group robot webhook key, if any
    nudges: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())  # 催签 in this chat
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LinkRequest(Base):
    """A chat account asking to be linked to a roster member without the platform's proof: it
    waits for the member's branch secretary or a region officer (同意 / 拒绝)."""

    __tablename__ = "link_requests"
    __table_args__ = (Index("ix_link_requests_pending", "platform", "user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # the roster entry the name matched; None: a name the roster does not have (kept, shown to nobody,
    # so a stranger cannot tell it from a real one by what is answered)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    name: Mapped[str | None] = mapped_column(String(50))  # the name asked for, as typed
    platform: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[str] = mapped_column(String(100))
    display: Mapped[str] = mapped_column(String(100), default="")  # the name the platform shows
    chat_id: Mapped[str] = mapped_column(String(100))  # where it was asked: the answer goes there
    private: Mapped[bool] = mapped_column(Boolean, default=False)  # asked in a private chat
    # pending / approved / rejected / withdrawn (a newer request, or the account proved itself)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class MemberTransfer(Base):
    """组织关系转接: a member's Party membership moved from one branch to another within the
    region ("within"), out of the region ("out") or into it from elsewhere ("in"). A move within
    the region waits (pending) until the receiving branch takes the member in; one out of or into
    the region is done when recorded. The member stays one person: history stays theirs."""

    __tablename__ = "member_transfers"
    __table_args__ = (Index("ix_member_transfers_region", "region_id", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))  # within / out / in
    from_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))  # None: from outside
    to_branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))  # None: out of the region
    place: Mapped[str | None] = mapped_column(String(200))  # 去向 / 来自 outside the region, as written
    letter_no: Mapped[str | None] = mapped_column(String(50))  # 介绍信编号
    status: Mapped[str] = mapped_column(String(10))  # pending / done
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # None: a roster import
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Commendation(Base):
    """表彰: a commendation the region gave a branch (先进基层党组织) or a member (优秀共产党员) —
    one of the two — with its title and day, announced in the chats and kept for the 表彰台账."""

    __tablename__ = "commendations"
    __table_args__ = (Index("ix_commendations_region", "region_id", "given_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))  # a branch commended
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))  # or a member
    title: Mapped[str] = mapped_column(String(50))  # as typed
    given_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BranchTerm(Base):
    """换届: a branch committee's election, the term it starts (3 years for a branch by default)
    and who was elected. A branch's current committee is its latest election; the earlier ones
    stay for the 换届台账."""

    __tablename__ = "branch_terms"
    __table_args__ = (Index("ix_branch_terms_branch", "branch_id", "elected_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    elected_on: Mapped[date] = mapped_column(Date)
    years: Mapped[int] = mapped_column(Integer)
    ends_on: Mapped[date] = mapped_column(Date)  # elected_on + years: the election is due then
    secretary_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    committee: Mapped[str] = mapped_column(Text)  # the other committee members' names, "、"-joined (may be empty)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Recruit(Base):
    """发展党员: one person on the way to membership, with the day each stage was reached: 入党申请人
    (applied), 入党积极分子 (activist, with two 培养联系人), 发展对象 (candidate), 预备党员
    (probationary), 正式党员 (full). `member_id`: their roster row, when they are on the roster."""

    __tablename__ = "recruits"
    __table_args__ = (UniqueConstraint("branch_id", "name"), Index("ix_recruits_region", "region_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    name: Mapped[str] = mapped_column(String(50))
    stage: Mapped[str] = mapped_column(String(12))  # applicant / activist / candidate / probationary / full
    applied_on: Mapped[date | None] = mapped_column(Date)
    activist_on: Mapped[date | None] = mapped_column(Date)
    candidate_on: Mapped[date | None] = mapped_column(Date)
    admitted_on: Mapped[date | None] = mapped_column(Date)  # 接收为预备党员
    full_on: Mapped[date | None] = mapped_column(Date)  # 转为正式党员
    contacts: Mapped[str] = mapped_column(Text, default="")  # 培养联系人, "、"-joined
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ThoughtReport(Base):
    """思想汇报: a recruit's report of one quarter, received by the branch."""

    __tablename__ = "thought_reports"
    __table_args__ = (UniqueConstraint("recruit_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recruit_id: Mapped[int] = mapped_column(ForeignKey("recruits.id"))
    quarter: Mapped[str] = mapped_column(String(7))  # YYYY-Qn
    received_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MobileRecord(Base):
    """流动党员: where a member who works away is, how to reach them and where they take part in
    Party life (a 驻外党支部 or a branch elsewhere); `returned_on` once they are back."""

    __tablename__ = "mobile_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    whereabouts: Mapped[str] = mapped_column(String(200))  # 流动去向, as written
    contact: Mapped[str | None] = mapped_column(String(100))  # 联系方式: shown privately only
    takes_part: Mapped[str | None] = mapped_column(String(200))  # 参加组织生活的驻外党支部或党组织
    since: Mapped[date] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InstructorLink(Base):
    """党建指导员: an instructor (a roster member of role instructor) attached to a branch they
    guide, from a day on (until: no longer); the history is kept."""

    __tablename__ = "instructor_links"
    __table_args__ = (Index("ix_instructor_links_region", "region_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    since: Mapped[date] = mapped_column(Date)
    until: Mapped[date | None] = mapped_column(Date)  # the last day guided (None: still)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


class GuidanceVisit(Base):
    """指导记录: an instructor's visit to (or guidance of) a branch, in their own words."""

    __tablename__ = "guidance_visits"
    __table_args__ = (Index("ix_guidance_visits_region", "region_id", "visited_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    instructor_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)  # as typed
    # the photo sent with it (captioned 指导记录 …): the SHA-256 it is kept under in the media folder
    photo: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SecretaryReport(Base):
    """述职: a branch secretary's report of the year to the region committee (双述双评), in their
    own words; a later one for the same year replaces it."""

    __tablename__ = "secretary_reports"
    __table_args__ = (UniqueConstraint("branch_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    year: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # as typed
    by: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class Appraisal(Base):
    """述职评议: one appraisal of a branch's 述职 of a year, by a region officer (committee, a score
    of 0–100) or by a member of the branch (member: 满意 100, 基本满意 60, 不满意 0); one each. Who
    gave it is kept only so that nobody appraises twice; it is never shown."""

    __tablename__ = "appraisals"
    __table_args__ = (UniqueConstraint("branch_id", "year", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"))
    year: Mapped[int] = mapped_column(Integer)
    voter_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    source: Mapped[str] = mapped_column(String(10))  # committee / member
    score: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
