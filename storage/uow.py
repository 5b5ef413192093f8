"""The unit of work: every repository over one connection inside one transaction, with the time it
runs at. Repositories are reached only as `uow.<name>`; each is made the first time it is asked for."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repos.accounts import AccountRepo
from storage.repos.appraisals import AppraisalRepo
from storage.repos.attendance import AttendanceRepo
from storage.repos.audit import AuditRepo
from storage.repos.chats import ChatRepo
from storage.repos.commendations import CommendationRepo
from storage.repos.compliance import ComplianceRepo, EvaluationRepo, FindingRepo, ReportRepo
from storage.repos.dues import DuesRepo
from storage.repos.duty import DutyRepo, RotationRepo
from storage.repos.events import EventRepo, RuleRepo
from storage.repos.groups import GroupRepo
from storage.repos.ideas import IdeaRepo
from storage.repos.inbox import InboxRepo
from storage.repos.instructors import InstructorRepo
from storage.repos.ledger import LedgerRepo, RecordRepo
from storage.repos.lessons import LessonRepo
from storage.repos.messages import MessageRepo
from storage.repos.mobile import MobileRepo
from storage.repos.org import OrgRepo
from storage.repos.outbox import OutboxRepo
from storage.repos.points import PointsRepo, StoreRepo
from storage.repos.recruits import RecruitRepo
from storage.repos.terms import TermRepo
from storage.repos.transfers import TransferRepo
from storage.repos.units import UnitRepo
from storage.repos.updates import UpdateRepo
from storage.repos.web import WebRepo
from storage.repos.wecom import WeComCardRepo


class UnitOfWork:
    """All repositories over one connection inside one transaction, plus the time it runs at."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self.conn = conn
        self.now = now

    # the organization and who is who
    @cached_property
    def org(self) -> OrgRepo:
        return OrgRepo(self.conn)

    @cached_property
    def accounts(self) -> AccountRepo:
        return AccountRepo(self.conn)

    @cached_property
    def chats(self) -> ChatRepo:
        return ChatRepo(self.conn)

    @cached_property
    def groups(self) -> GroupRepo:
        return GroupRepo(self.conn)

    @cached_property
    def transfers(self) -> TransferRepo:
        return TransferRepo(self.conn)

    @cached_property
    def terms(self) -> TermRepo:
        return TermRepo(self.conn)

    @cached_property
    def dues(self) -> DuesRepo:
        return DuesRepo(self.conn)

    @cached_property
    def recruits(self) -> RecruitRepo:
        return RecruitRepo(self.conn)

    @cached_property
    def mobile(self) -> MobileRepo:
        return MobileRepo(self.conn)

    @cached_property
    def commendations(self) -> CommendationRepo:
        return CommendationRepo(self.conn)

    @cached_property
    def instructors(self) -> InstructorRepo:
        return InstructorRepo(self.conn)

    @cached_property
    def appraisals(self) -> AppraisalRepo:
        return AppraisalRepo(self.conn)

    @cached_property
    def units(self) -> UnitRepo:
        return UnitRepo(self.conn)

    # the calendar and who came
    @cached_property
    def events(self) -> EventRepo:
        return EventRepo(self.conn)

    @cached_property
    def rules(self) -> RuleRepo:
        return RuleRepo(self.conn)

    @cached_property
    def attendance(self) -> AttendanceRepo:
        return AttendanceRepo(self.conn)

    @cached_property
    def lessons(self) -> LessonRepo:
        return LessonRepo(self.conn)

    @cached_property
    def duty(self) -> DutyRepo:
        return DutyRepo(self.conn)

    @cached_property
    def rotation(self) -> RotationRepo:
        return RotationRepo(self.conn)

    # ideas, points and the store
    @cached_property
    def ideas(self) -> IdeaRepo:
        return IdeaRepo(self.conn)

    @cached_property
    def points(self) -> PointsRepo:
        return PointsRepo(self.conn)

    @cached_property
    def store(self) -> StoreRepo:
        return StoreRepo(self.conn)

    # supervision: norms, findings, reports, evaluations; the ledger's reads and meeting records
    @cached_property
    def compliance(self) -> ComplianceRepo:
        return ComplianceRepo(self.conn)

    @cached_property
    def findings(self) -> FindingRepo:
        return FindingRepo(self.conn)

    @cached_property
    def reports(self) -> ReportRepo:
        return ReportRepo(self.conn)

    @cached_property
    def evaluations(self) -> EvaluationRepo:
        return EvaluationRepo(self.conn)

    @cached_property
    def ledger(self) -> LedgerRepo:
        return LedgerRepo(self.conn)

    @cached_property
    def records(self) -> RecordRepo:
        return RecordRepo(self.conn)

    # what comes in, what goes out, what was done
    @cached_property
    def updates(self) -> UpdateRepo:
        return UpdateRepo(self.conn)

    @cached_property
    def inbox(self) -> InboxRepo:
        return InboxRepo(self.conn)

    @cached_property
    def outbox(self) -> OutboxRepo:
        return OutboxRepo(self.conn)

    @cached_property
    def messages(self) -> MessageRepo:
        return MessageRepo(self.conn)

    @cached_property
    def wecom_cards(self) -> WeComCardRepo:
        return WeComCardRepo(self.conn)

    @cached_property
    def audit(self) -> AuditRepo:
        return AuditRepo(self.conn)

    @cached_property
    def web(self) -> WebRepo:
        return WebRepo(self.conn)
