"""One vocabulary: every code the records keep (a role, a status, an event kind, a platform, an
audit action) has one label per language, here, and chat, web, ledger and CLI all show that label.

A code never reaches a reader: `term` of a code this table does not know logs it and shows a
neutral word, and the tests scan every page and sheet for the codes listed here.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

ZH, EN = "zh-CN", "en"

# domain -> code -> (Chinese, English)
TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "role": {
        "member": ("党员", "member"),
        "activist": ("入党积极分子", "activist"),
        "committee_member": ("支委", "committee member"),
        "organizer": ("组织委员", "organization committee member"),
        "branch_secretary": ("支部书记", "branch secretary"),
        "regional_secretary": ("联合党委书记", "regional secretary"),
        "admin": ("管理员", "admin"),
        "lecturer": ("讲师", "lecturer"),
        "instructor": ("党建指导员", "Party-building instructor"),
    },
    "point_rule": {  # what earns points (积分规则), as 设置积分 names them
        "signin_on_time": ("准时签到", "on-time sign-in"),
        "signin_late": ("迟到签到", "late sign-in"),
        "signin_remote": ("远程签到", "remote sign-in"),
        "signin_makeup": ("补签", "make-up sign-in"),
        "duty": ("值班", "duty shift"),
        "idea_submitted": ("金点子提交", "idea submitted"),
        "idea_adopted": ("金点子采纳", "idea adopted"),
        "idea_implemented": ("金点子实施", "idea implemented"),
        "group_item": ("党小组任务", "Party group task"),
        "volunteer": ("志愿服务", "volunteer service"),
    },
    "recruit_stage": {
        "applicant": ("入党申请人", "applicant"),
        "activist": ("入党积极分子", "activist"),
        "candidate": ("发展对象", "candidate"),
        "probationary": ("预备党员", "probationary member"),
        "full": ("正式党员", "full member"),
    },
    "kind": {
        "secretary_meeting": ("书记例会", "Secretaries' meeting"),
        "party_lesson": ("专题党课", "Party lesson"),
        "activity_day": ("党员活动日", "Activity day"),
        "general_meeting": ("支部党员大会", "Branch general meeting"),
        "committee": ("支委会", "Branch committee meeting"),
        "group_meeting": ("党小组会", "Party group meeting"),
        "other": ("活动", "Event"),
    },
    # a member's mark at an event
    "attendance": {
        "on_time": ("已签到", "signed in"),
        "late": ("迟到", "late"),
        "leave": ("请假", "on leave"),
        "remote": ("远程签到", "remote"),
        "makeup": ("补签", "make-up"),
        "self_makeup": ("本人补签", "own make-up"),
        "absent": ("缺席", "absent"),
    },
    # an event as a reader sees it now (from its stored status and the clock)
    "event_state": {
        "upcoming": ("未开始", "upcoming"),
        "running": ("进行中", "in progress"),
        "ended": ("已结束", "ended"),
        "cancelled": ("已取消", "cancelled"),
    },
    "idea": {
        "pending": ("待审", "pending review"),
        "adopted": ("采纳", "adopted"),
        "rejected": ("不采纳", "not adopted"),
        "implementing": ("实施中", "being implemented"),
        "implemented": ("已实施", "implemented"),
    },
    "redemption": {
        "pending": ("待审批", "awaiting approval"),
        "approved": ("已批准", "approved"),
        "rejected": ("已驳回", "rejected"),
        "cancelled": ("已取消", "cancelled"),
    },
    "swap": {
        "pending": ("待答复", "awaiting an answer"),
        "accepted": ("已接受", "accepted"),
        "declined": ("已拒绝", "declined"),
        "backup": ("备岗顶岗", "taken by the backup"),
    },
    "duty_state": {
        "waiting": ("待上岗", "to come"),
        "on": ("在岗", "on duty"),
        "out": ("已下岗", "done"),
        "unsigned": ("未签退", "no check-out"),
        "missed": ("缺岗", "missed"),
    },
    "arrival": {"on_time": ("准时", "on time"), "late": ("迟到", "late")},
    "departure": {"on_time": ("正常", "on time"), "early": ("早退", "early")},
    "finding": {
        "open": ("待整改", "open"),
        "fixed": ("已整改待确认", "rectified, to confirm"),
        "confirmed": ("已确认", "confirmed"),
    },
    "platform": {
        "telegram": ("Telegram", "Telegram"),
        "wecom": ("企业微信", "WeCom"),
        "console": ("控制台", "console"),
        "web": ("网页后台", "web console"),
        "cli": ("命令行", "command line"),
    },
    "source": {
        "signin": ("签到", "sign-in"),
        "duty": ("值班", "duty"),
        "idea": ("金点子", "idea"),
        "store": ("积分超市", "store"),
        "manual": ("调整", "adjustment"),
        "group": ("党小组", "Party group"),
        "volunteer": ("志愿服务", "volunteer service"),
        "reversal": ("冲销", "reversal"),
    },
    "tier": {
        "model": ("示范", "model"),
        "steady": ("巩固", "steady"),
        "improving": ("提高", "improving"),
        "warning": ("预警", "warning"),
    },
    "dimension": {
        "cohesion": ("组织凝聚力", "cohesion"),
        "effectiveness": ("队伍战斗力", "effectiveness"),
        "development": ("发展推动力", "development"),
        "culture": ("文化支撑力", "culture"),
        "influence": ("区域影响力", "influence"),
    },
    "lesson_request": {
        "open": ("待选讲师", "waiting for a lecturer to be chosen"),
        "asked": ("等待讲师答复", "waiting for the lecturer"),
        "accepted": ("已接单", "accepted"),
        "cancelled": ("已取消", "cancelled"),
    },
    "link_request": {
        "pending": ("待审核", "pending"),
        "approved": ("已同意", "approved"),
        "rejected": ("已拒绝", "rejected"),
        "withdrawn": ("已撤回", "withdrawn"),
    },
    "group_status": {
        "pending": ("待批准", "awaiting approval"),
        "active": ("活动中", "active"),
        "rejected": ("未批准", "not approved"),
        "dissolved": ("已解散", "dissolved"),
    },
    "rule_status": {"active": ("启用中", "active"), "paused": ("已暂停", "paused"), "cancelled": ("已删除", "deleted")},
    "per": {"month": ("每月", "monthly"), "quarter": ("每季度", "quarterly"), "year": ("每年", "yearly")},
    "holiday": {"keep": ("照常", "kept"), "skip": ("跳过", "skipped"), "move": ("顺延", "moved")},
    "proof": {
        "contact": ("本人手机号", "own phone number"),
        "issued_id": ("企业微信身份", "WeCom identity"),
        "wecom": ("企业微信身份", "WeCom identity"),
        "approval": ("管理员审核", "a manager's approval"),
        "cli": ("命令行", "command line"),
        "web": ("网页后台", "web console"),
    },
    # what the audit log records (操作日志), as a verb phrase
    "audit": {
        "event.create": ("发布活动", "published"),
        "event.cancel": ("取消活动", "cancelled"),
        "event.move": ("活动改期", "moved"),
        "event.record": ("补录活动", "recorded a held meeting"),
        "record_append": ("记入会议记录", "added to the meeting record"),
        "record_correct": ("更正会议记录", "corrected the meeting record"),
        "record_photo": ("上传会议照片", "added a meeting photo"),
        "signin.makeup": ("补签", "entered a make-up sign-in"),
        "signin.self_makeup": ("本人补签", "entered their own make-up sign-in"),
        "signin.undo_makeup": ("撤销补签", "took back a make-up sign-in"),
        "leave.withdraw": ("销假", "withdrew leave"),
        "rule.create": ("设置例行安排", "set a recurring rule"),
        "rule.edit": ("修改例行安排", "changed a recurring rule"),
        "rule.active": ("恢复例行安排", "resumed a recurring rule"),
        "rule.paused": ("暂停例行安排", "paused a recurring rule"),
        "rule.cancelled": ("删除例行安排", "deleted a recurring rule"),
        "duty.add": ("添加值班", "added a shift"),
        "duty.import": ("导入值班表", "imported a rota"),
        "duty.log": ("写值班日志", "wrote a duty log"),
        "duty.swap": ("换班", "swapped a shift"),
        "duty.rule": ("设置值班规则", "set a duty rule"),
        "duty.rule_cancel": ("删除值班规则", "deleted a duty rule"),
        "idea.adopted": ("采纳金点子", "adopted an idea"),
        "idea.rejected": ("不采纳金点子", "did not adopt an idea"),
        "idea.implementing": ("金点子转为实施中", "started implementing an idea"),
        "idea.implemented": ("金点子标记已实施", "marked an idea implemented"),
        "points.adjust": ("调整积分", "adjusted points"),
        "store.put": ("上架积分超市物品", "put an item in the store"),
        "store.approve": ("批准兑换", "approved a redemption"),
        "store.reject": ("驳回兑换", "rejected a redemption"),
        "store.refund": ("取消兑换并退还积分", "cancelled a redemption with a refund"),
        "bind": ("绑定群", "bound a chat"),
        "chat.nudges": ("设置群内催签", "set the chat's nudges"),
        "chat.locale": ("设置群语言", "set the chat's language"),
        "chat.unbind": ("解绑群", "unbound a chat"),
        "account.link": ("绑定账号", "linked an account"),
        "account.request": ("申请登记", "asked to register"),
        "account.approve": ("同意登记", "approved a registration"),
        "account.reject": ("拒绝登记", "refused a registration"),
        "account.unlink": ("解绑账号", "unlinked an account"),
        "member.activate": ("启用成员", "reactivated a member"),
        "member.deactivate": ("停用成员", "deactivated a member"),
        "member.transfer_out": ("组织关系转出", "transferred a member out"),
        "member.transfer_in": ("组织关系转入", "took a transferred member in"),
        "branch.election": ("换届选举登记", "recorded a committee election"),
        "branch.merge": ("合并支部", "merged a branch"),
        "member.mobile": ("登记流动党员", "recorded a member working away"),
        "member.back": ("流动党员返回", "recorded a mobile member back"),
        "branch.close": ("撤销支部", "closed a branch"),
        "dues.base": ("设定党费基数", "set a member's dues base"),
        "recruit.stage": ("登记发展党员阶段", "recorded a recruitment stage"),
        "recruit.report": ("登记思想汇报", "recorded a thought report"),
        "dues.paid": ("登记党费交纳", "recorded dues paid"),
        "points.rule": ("设置积分规则", "set a points rule"),
        "points.volunteer": ("登记志愿服务", "recorded a volunteer service"),
        "commendation.record": ("登记表彰", "recorded a commendation"),
        "instructor.assign": ("设置党建指导员", "assigned an instructor"),
        "appraisal.report": ("提交述职", "sent the report of the year"),
        "appraisal.score": ("述职评分", "scored a report of the year"),
        "instructor.visit": ("登记指导记录", "recorded a guidance visit"),
        "unit.set": ("设置党总支（编组）", "set up a general branch or cluster"),
        "unit.fund": ("登记党总支（编组）经费", "recorded a unit's funds"),
        "unit.norm": ("设置党总支（编组）本级规范", "set a unit's own norm"),
        "unit.notice": ("发送党总支（编组）通知", "sent a unit's notice"),
        "pairing.set": ("设立结对共建", "paired two branches"),
        "pairing.end": ("解除结对", "ended a pairing"),
        "pairing.propose": ("向其他联合党委提出结对", "proposed a pairing to another region"),
        "pairing.consent": ("同意其他联合党委的结对提议", "consented to another region's pairing"),
        "pairing.decline": ("不同意其他联合党委的结对提议", "declined another region's pairing"),
        "pairing.withdraw": ("撤回结对提议", "withdrew a pairing proposal"),
        "roster.import": ("导入花名册", "imported the roster"),
        "region.start": ("设置启用日期", "set the start date"),
        "norm_set": ("设置组织生活规范", "set a norm"),
        "score": ("评分", "scored a branch"),
        "finding": ("记录督查问题", "recorded a finding"),
        "finding_photo": ("上传整改照片", "added a rectification photo"),
        "finding_fixed": ("报告整改", "reported a rectification"),
        "finding_confirm": ("确认整改销号", "confirmed a rectification"),
        "monthly_report": ("报送月报", "sent the monthly report"),
        "notice": ("发送通知", "sent a notice"),
        "export_ledger": ("导出台账", "exported the ledger"),
        "web.login": ("登录网页后台", "logged in to the web console"),
        "wecom.webhook": ("设置企业微信群机器人", "set a WeCom group robot"),
        "console.sample": ("载入示例数据", "loaded the sample region"),
        "rotation.set": ("设置轮值顺序", "set the hosting order"),
        "rotation.skip": ("轮值跳过", "skipped a hosting turn"),
        "rotation.exchange": ("轮值对调", "exchanged hosting turns"),
        "group.create": ("成立党小组", "set up a Party group"),
        "group.apply": ("申请成立自主党小组", "applied for a self-organized group"),
        "group.approve": ("批准党小组", "approved a Party group"),
        "group.reject": ("不批准党小组", "refused a Party group"),
        "group.dissolve": ("解散党小组", "dissolved a Party group"),
        "group.join": ("加入党小组", "joined a Party group"),
        "group.leave": ("退出党小组", "left a Party group"),
        "group.list": ("查看党小组", "looked at the Party groups"),
        "group.show": ("查看党小组", "looked at a Party group"),
        "group.vote": ("发起组长选举", "started a leader election"),
        "group.ballot": ("投票选组长", "voted for a leader"),
        "group.leader": ("选出组长", "elected a leader"),
        "group.plan": ("制定党小组计划", "set a Party group's plan"),
        "group.claim": ("申领计划事项", "claimed a plan item"),
        "group.item_done": ("计划事项完成", "marked a plan item done"),
        "group.report": ("报送党小组月报", "sent a Party group's report"),
        "lecturer.put": ("登记讲师", "registered a lecturer"),
        "lecturer.remove": ("移出讲师团", "took a lecturer out of the pool"),
        "lesson.request": ("点单", "asked for a lesson"),
        "lesson.ask": ("请讲师", "asked a lecturer"),
        "lesson.accept": ("讲师接单", "accepted a lesson"),
        "lesson.decline": ("讲师婉拒", "declined a lesson"),
        "lesson.rate": ("党课评分", "rated a lesson"),
    },
}

# how an audit entry's details read: key -> (Chinese, English) with {} for the value
DETAIL: dict[str, tuple[str, str]] = {
    "event": ("{}", "{}"),
    "member": ("{}", "{}"),
    "name": ("{}", "{}"),
    "text": ("“{}”", "“{}”"),
    "topic": ("“{}”", "“{}”"),
    "title": ("“{}”", "“{}”"),
    "reason": ("原因：{}", "reason: {}"),
    "note": ("说明：{}", "note: {}"),
    "amount": ("{:+d} 分", "{:+d} points"),
    "points": ("积分 {}", "{} points"),
    "score": ("{} 分", "score {}"),
    "shift": ("{}", "{}"),
    "assignment": ("{}", "{}"),
    "rule": ("{}", "{}"),
    "group": ("{}", "{}"),
    "branch": ("{}", "{}"),
    "region": ("{}", "{}"),
    "branches": ("{}", "{}"),
    "unit": ("{}", "{}"),
    "secretary": ("书记 {}", "secretary {}"),
    "lead": ("组长单位 {}", "lead branch {}"),
    "day": ("每月活动日 {}", "activity day {}"),
    "money": ("{} 元", "¥{}"),
    "kind": ("{}", "{}"),
    "per": ("{}", "{}"),
    "count": ("{} 次", "{} times"),
    "dimension": ("{}", "{}"),
    "year": ("{}年", "{}"),
    "month": ("{}", "{}"),
    "period": ("{}", "{}"),
    "to": ("改到 {}", "to {}"),
    "from": ("{}", "{}"),
    "starts_at": ("", ""),  # the event's own time is in its description
    "item": ("{}", "{}"),
    "items": ("{}", "{}"),
    "price": ("{} 积分", "{} points"),
    "stock": ("库存 {}", "stock {}"),
    "request": ("申请 #{}", "request #{}"),
    "number": ("#{}", "#{}"),
    "idea": ("", ""),
    "lecturer": ("讲师 {}", "lecturer {}"),
    "winner": ("{}", "{}"),
    "claimer": ("{}", "{}"),
    "vote": ("", ""),
    "guest": ("", ""),
    "members": ("{} 人", "{} members"),
    "made": ("生成 {} 个班次", "{} shifts made"),
    "dropped": ("撤下 {} 个班次", "{} shifts taken off"),
    "added": ("新增 {} 个", "{} added"),
    "updated": ("更新 {} 个", "{} updated"),
    "rows": ("{} 行", "{} rows"),
    "file": ("文件 {}", "file {}"),
    "chars": ("{} 字", "{} characters"),
    "bytes": ("{} KB", "{} KB"),
    "chats": ("发往 {} 个群", "to {} chats"),
    "on": ("{}", "{}"),
    "proof": ("凭{}", "by {}"),
    "user": ("", ""),  # a platform account id: not for readers
    "chat": ("", ""),
    "sha256": ("", ""),
    "removed": ("{} 个账号", "{} accounts"),
    "request_id": ("", ""),
    "set": ("", ""),
    "option": ("", ""),
    "value": ("{}", "{}"),
    "deadline": ("期限 {}", "due {}"),
    "finding": ("问题 #{}", "finding #{}"),
    "status": ("{}", "{}"),
    "date": ("{}", "{}"),
    "scope": ("", ""),
    "swap": ("", ""),
    "cadence": ("", ""),
    "order": ("{}", "{}"),
    "start_month": ("自 {} 起", "from {}"),
    "point_rule": ("{}", "{}"),
    "worth": ("{} 分", "{} points"),
    "from_day": ("自 {} 起", "from {}"),
    "before": ("原为 {} 分", "was {}"),
    "photo": ("附照片", "with a photo"),
}

# the English word a stored code would be mistaken for: a reader never sees these (tests scan for them)
NEUTRAL = ("—", "—")


def term(domain: str, code: str | None, locale: str = ZH) -> str:
    """The label of a code in its domain ('role', 'kind', 'idea' …) in the locale."""
    if code is None:
        return NEUTRAL[0]
    found = TERMS.get(domain, {}).get(code)
    if found is None:
        log.warning("no label for %s %r", domain, code)
        return NEUTRAL[0]
    return found[1] if locale == EN else found[0]


def codes() -> set[str]:
    """Every stored code with a label (what a page or sheet must never show raw)."""
    out: set[str] = set()
    for domain, entries in TERMS.items():
        if domain != "platform":  # a platform's name is also its label (Telegram)
            out.update(entries)
    return out


def detail_part(key: str, value: Any, locale: str) -> str:
    """One detail of an audit entry as a reader reads it ('' for what readers need not see)."""
    shape = DETAIL.get(key)
    if shape is None or value is None or value == "" or value is False:
        return ""
    pattern = shape[1] if locale == EN else shape[0]
    if not pattern:
        return ""
    try:
        return pattern.format(value)
    except (ValueError, TypeError):
        return pattern.replace("{:+d}", "{}").format(value)


ORDER = {key: n for n, key in enumerate((
    "event", "finding", "shift", "assignment", "rule", "point_rule", "group", "request", "item", "branch", "unit",
    "region", "member", "secretary", "lead", "day", "money", "from", "to", "winner", "claimer", "lecturer", "name",
    "title", "month", "period", "date", "year", "amount", "points", "worth", "from_day", "before", "score", "price",
    "stock", "count", "per", "dimension", "kind", "deadline", "text", "topic", "reason", "note",
))}  # fmt: skip


def audit_sentence(who: str, action: str, details: dict[str, Any], locale: str = ZH) -> str:
    """An audit entry as a sentence: '李红 发布活动：书记例会 12月1日（周二）14:00 党群服务中心'.
    `details` are already readable (ids replaced by what they stand for), shown in a fixed order:
    what was acted on, who, when, how much, then the words typed."""
    keys = sorted(details, key=lambda k: ORDER.get(k, len(ORDER)))
    parts = [p for p in (detail_part(k, details[k], locale) for k in keys) if p]
    verb = term("audit", action, locale)
    joined = ("; " if locale == EN else "，").join(parts)
    if not joined:
        return f"{who} {verb}"
    return f"{who} {verb}: {joined}" if locale == EN else f"{who} {verb}：{joined}"
