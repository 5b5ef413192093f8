"""One vocabulary: every code the records keep has a label in both languages, every audited action
included, and the labels are what chat, web and ledger show."""

from __future__ import annotations

import ast
from pathlib import Path

from handlers.core.i18n import render
from handlers.core.vocabulary import TERMS, audit_sentence, term

ROOT = Path(__file__).parent.parent.parent


def _writes_audit(func: ast.expr) -> bool:
    """`uow.audit.record(…)`, `AuditRepo(conn).record(…)`, or a helper named audit / _audit."""
    if isinstance(func, ast.Name):
        return func.id in ("audit", "_audit")
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in ("audit", "_audit"):
        return True
    owner = func.value
    by_uow = isinstance(owner, ast.Attribute) and owner.attr == "audit"
    by_repo = isinstance(owner, ast.Call) and getattr(owner.func, "id", "") == "AuditRepo"
    return func.attr == "record" and (by_uow or by_repo)


def _audited_actions() -> tuple[set[str], set[str]]:
    """The actions the code writes to the audit log: (literal names, prefixes of f-string names)."""
    names, prefixes = set(), set()
    for path in [*ROOT.glob("handlers/**/*.py"), *ROOT.glob("bot/**/*.py"), *ROOT.glob("storage/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            if not _writes_audit(node.func):
                continue
            values = [kw.value for kw in node.keywords if kw.arg == "action"] or node.args[2:3]
            for value in values:
                options = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
                for v in options:
                    if isinstance(v, ast.Constant) and isinstance(v.value, str):
                        names.add(v.value)
                    elif isinstance(v, ast.JoinedStr) and isinstance(v.values[0], ast.Constant):
                        prefixes.add(str(v.values[0].value))
    return names, prefixes


def test_every_audited_action_has_a_label() -> None:
    names, prefixes = _audited_actions()
    assert len(names) > 40 and {"event.create", "signin.undo_makeup", "region.start"} <= names
    missing = sorted(n for n in names if n not in TERMS["audit"])
    assert not missing, missing
    for prefix in prefixes:  # idea.{step}, rule.{status} …: at least one label of that family
        assert any(k.startswith(prefix) for k in TERMS["audit"]), prefix


def test_every_code_has_two_labels_and_no_label_is_a_code() -> None:
    for domain, entries in TERMS.items():
        for code, (zh, en) in entries.items():
            assert zh and en, (domain, code)
            assert "_" not in zh + en and zh != code, (domain, code)
    assert (
        term("role", "branch_secretary") == "支部书记" and term("role", "branch_secretary", "en") == "branch secretary"
    )
    assert term("kind", "nonsense") == "—"  # an unknown code is never shown raw


def test_chat_templates_use_the_vocabulary() -> None:
    assert str(render("common.role", "zh-CN", r="regional_secretary")) == term("role", "regional_secretary")
    assert str(render("ideas.statusname", "en", s="rejected")) == term("idea", "rejected", "en")
    assert str(render("common.kind", "zh-CN", k="committee")) == "支委会"


def test_an_audit_entry_reads_as_a_sentence() -> None:
    line = audit_sentence("李红", "points.adjust", {"member": "赵强", "amount": 30, "reason": "表彰"})
    assert line == "李红 调整积分：赵强，+30 分，原因：表彰"
    assert audit_sentence("李红", "web.login", {}, "en") == "李红 logged in to the web console"
