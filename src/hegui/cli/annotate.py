"""``hegui annotate`` — annotation QA (Interim Measures Art 8; GB/T 45674-2025): rules documents,
annotators (roles, training, qualification), batches (assignment with separation of duties,
acceptance sampling), double-annotation agreement, 8.1 coverage and the filing export.
See docs/annotation.md."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table
from hegui.cli.common import actor, services

console = Console()
app = typer.Typer(help="Annotation QA: rules, annotators, batches, agreement, export / 数据标注质量管理",
                  no_args_is_help=True)
rules_app = typer.Typer(help="Annotation rules documents / 标注规则", no_args_is_help=True)
annotator_app = typer.Typer(help="Annotators: roles, training, tests / 标注人员", no_args_is_help=True)
batch_app = typer.Typer(help="Batches: assignment, sampling, acceptance / 标注批次", no_args_is_help=True)
agreement_app = typer.Typer(help="Double-annotation agreement (Cohen's κ) / 双人标注一致性", no_args_is_help=True)
for sub, name in ((rules_app, "rules"), (annotator_app, "annotator"), (batch_app, "batch"),
                  (agreement_app, "agreement")):
    app.add_typer(sub, name=name)
ConfigOpt = typer.Option(None, "--config", "-c", help="path to hegui.toml")


def _read(path: Path) -> bytes:
    from hegui.errors import ValidationFailed

    try:
        return path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(message_en=f"{path}: cannot read ({exc.strerror})",
                               message_zh=f"{path}：无法读取（{exc.strerror}）") from None


def _print_check(found) -> None:  # noqa: ANN001
    if found.kind != "safety":
        console.print("functional rules: no coverage check / 功能标注规则不做覆盖检查")
        return
    console.print(f"Annex A risks missing 未覆盖的风险: {', '.join(found.missing_risks) or 'none 无'}", soft_wrap=True)
    console.print(f"GB/T 45674 elements missing 缺少的要素: {', '.join(found.missing_elements) or 'none 无'}",
                  soft_wrap=True)
    if found.template:
        console.print("[yellow]still the hegui template: adapt it before approving 仍为 hegui 模板，须改写后批准[/]")


# -- rules -----------------------------------------------------------------------------------------

@rules_app.command("add")
def rules_add(file: Path = typer.Argument(..., help="rules document (.md .txt .html .pdf .docx)"),
              kind: str = typer.Option(..., "--kind", help="functional | safety"),
              version: str = typer.Option(..., "--version", help="document version / 版本"),
              effective: str = typer.Option(..., "--effective", help="effective date YYYY-MM-DD / 生效日期"),
              approved_by: str = typer.Option("", "--approved-by", help="approver; empty = not yet approved / 批准人"),
              config: Optional[Path] = ConfigOpt) -> None:
    """Record a rules document (hashed and checked). / 登记标注规则文件（计算摘要并检查覆盖）。"""
    from hegui.annotation import rules

    sv = services(config)
    with sv.db.session() as s:
        row = rules.add(s, actor=actor(), kind=kind, version=version, effective_on=effective, file_name=file.name,
                        data=_read(file), approved_by=approved_by)
        console.print(f"rules 规则 [bold]{row.id}[/] {row.kind} v{row.version} sha256 {row.sha256[:16]}… "
                      f"{'approved 已批准' if row.approved_at else 'not approved 未批准'}", soft_wrap=True)
        _print_check(rules.RulesCheck(kind=row.kind, missing_risks=row.findings.get("missing_risks", []),
                                      missing_elements=row.findings.get("missing_elements", []),
                                      template=bool(row.findings.get("template"))))


@rules_app.command("approve")
def rules_approve(rules_id: str = typer.Argument(...), by: str = typer.Option(..., "--by", help="approver / 批准人"),
                  config: Optional[Path] = ConfigOpt) -> None:
    """Approve a recorded rules document. / 批准标注规则。"""
    from hegui.annotation import rules

    sv = services(config)
    with sv.db.session() as s:
        row = rules.approve(s, rules_id, approved_by=by, actor=actor())
        console.print(f"rules 规则 {row.id} approved by 批准人 {row.approved_by}")


@rules_app.command("list")
def rules_list(config: Optional[Path] = ConfigOpt) -> None:
    """Rules documents and their check results. / 标注规则及检查结果。"""
    from hegui.annotation import rules

    sv = services(config)
    table = Table("id", "kind 类型", "version 版本", "effective 生效", "approved 批准", "in force 现行", "check 检查")
    with sv.db.session() as s:
        live = {k: getattr(rules.current(s, k), "id", None) for k in rules.KINDS}
        for r in rules.listing(s):
            f = r.findings
            chk = "—" if r.kind != "safety" else ("complete 完整" if f.get("complete") else
                                                  f"missing 缺 {len(f.get('missing_risks', []))} risks, "
                                                  f"{len(f.get('missing_elements', []))} elements")
            table.add_row(r.id, r.kind, r.version, str(r.effective_on), r.approved_by or "—",
                          "yes 是" if live.get(r.kind) == r.id else "", chk)
    console.print(table)


@rules_app.command("check")
def rules_check(file: Path = typer.Argument(...), kind: str = typer.Option("safety", "--kind")) -> None:
    """Check a document without recording it; exit 1 when something is missing. / 检查规则文件（不登记）。"""
    from hegui.annotation import rules

    found = rules.check_text(rules.extract_text(file.name, _read(file)), kind)
    _print_check(found)
    if not found.complete:
        raise typer.Exit(1)


@rules_app.command("template")
def rules_template(out: Path = typer.Option(..., "--out", help="where to write the template")) -> None:
    """Write the starter safety-rules template (zh, en headings) to adapt. / 输出安全标注规则模板。"""
    from hegui.annotation import rules
    from hegui.fileio import write_atomic

    write_atomic(out, rules.template_text())
    console.print(f"template 模板 → {out}")


# -- annotators ------------------------------------------------------------------------------------

@annotator_app.command("add")
def annotator_add(code: str = typer.Argument(..., help="operator's id, not a name / 编号"),
                  initials: str = typer.Option(..., "--initials", help="initials only (PIPL) / 姓名缩写"),
                  role: list[str] = typer.Option(..., "--role", help="executor | reviewer | arbitrator | supervisor"),
                  config: Optional[Path] = ConfigOpt) -> None:
    """Add an annotator with roles. / 登记标注人员及角色。"""
    from hegui.annotation import annotators

    sv = services(config)
    with sv.db.session() as s:
        row = annotators.add(s, actor=actor(), code=code, initials=initials, roles=role)
        console.print(f"annotator 标注人员 [bold]{row.code}[/] roles 角色 {', '.join(row.roles)}")


@annotator_app.command("train")
def annotator_train(code: str = typer.Argument(...), course: str = typer.Option(..., "--course"),
                    hours: float = typer.Option(..., "--hours"), date: str = typer.Option("", "--date"),
                    config: Optional[Path] = ConfigOpt) -> None:
    """Record a training session. / 登记培训。"""
    from hegui.annotation import annotators

    sv = services(config)
    with sv.db.session() as s:
        row = annotators.train(s, code, actor=actor(), course=course, hours=hours, held_on=date or None)
        console.print(f"training 培训 recorded 已登记: {code} {row.held_on} {row.hours:g} h", soft_wrap=True)


@annotator_app.command("test")
def annotator_test(code: str = typer.Argument(...), score: float = typer.Option(..., "--score", help="0..1"),
                   date: str = typer.Option("", "--date"), config: Optional[Path] = ConfigOpt) -> None:
    """Record a qualification test against the configured pass mark. / 登记考核成绩。"""
    from hegui.annotation import annotators

    sv = services(config)
    with sv.db.session() as s:
        row = annotators.record_test(s, code, actor=actor(), score=score, taken_on=date or None,
                                     pass_mark=sv.settings.annotation.pass_mark)
        verdict = "[green]passed 合格[/]" if row.passed else "[red]failed 不合格[/]"
        console.print(f"test 考核 {code}: {row.score:.3f} (pass mark 合格线 {row.pass_mark:.3f}) {verdict}")


@annotator_app.command("deactivate")
def annotator_deactivate(code: str = typer.Argument(...), config: Optional[Path] = ConfigOpt) -> None:
    """Departed staff: revoke access. / 离岗：撤销权限。"""
    from hegui.annotation import annotators

    sv = services(config)
    with sv.db.session() as s:
        annotators.deactivate(s, code, actor=actor())
        console.print(f"annotator 标注人员 {code} deactivated 已停用")


@annotator_app.command("list")
def annotator_list(config: Optional[Path] = ConfigOpt) -> None:
    """The roster with qualification state. / 标注人员名册。"""
    from hegui.annotation import annotators

    sv = services(config)
    table = Table("code 编号", "initials 缩写", "roles 角色", "qualification 考核", "last test 最近考核", "score 成绩",
                  "re-exam by 复考期限", "training h 学时")
    with sv.db.session() as s:
        for a in annotators.listing(s):
            q = annotators.qualification(s, a, sv.settings.annotation.reexam_months)
            table.add_row(a.code, a.initials, ", ".join(a.roles), q.state, str(q.last_test or "—"),
                          "—" if q.score is None else f"{q.score:.3f}", str(q.expires or "—"), f"{q.training_hours:g}")
    console.print(table)


# -- batches ---------------------------------------------------------------------------------------

@batch_app.command("add")
def batch_add(name: str = typer.Argument(...), kind: str = typer.Option(..., "--kind", help="functional | safety"),
              items: int = typer.Option(..., "--items", help="item count / 条目数"),
              items_file: str = typer.Option("", "--items-file", help="reference to the items file / 条目文件"),
              safety_items: Optional[int] = typer.Option(None, "--safety-items",
                                                         help="safety-annotated items (default: all for safety)"),
              config: Optional[Path] = ConfigOpt) -> None:
    """Add a batch. / 登记标注批次。"""
    from hegui.annotation import batches

    sv = services(config)
    with sv.db.session() as s:
        row = batches.add(s, actor=actor(), name=name, kind=kind, item_count=items, items_ref=items_file,
                          safety_items=safety_items)
        console.print(f"batch 批次 [bold]{row.name}[/] {row.kind}, {row.item_count} items 条")


@batch_app.command("assign")
def batch_assign(name: str = typer.Argument(...), code: str = typer.Argument(...),
                 role: str = typer.Option(..., "--role", help="executor | reviewer | arbitrator | supervisor"),
                 config: Optional[Path] = ConfigOpt) -> None:
    """Assign an annotator (separation of duties enforced). / 分配标注人员（职责分离）。"""
    from hegui.annotation import batches

    sv = services(config)
    with sv.db.session() as s:
        batches.assign(s, name, code, role, actor=actor(), reexam_months=sv.settings.annotation.reexam_months)
        console.print(f"{code} → batch 批次 {name} as 角色 {role}")


@batch_app.command("sample")
def batch_sample(name: str = typer.Argument(...), aql: float = typer.Option(..., "--aql", help="0.65 1.0 1.5 2.5 4.0 6.5"),
                 out: Optional[Path] = typer.Option(None, "--out", help="write the sampled item positions"),
                 config: Optional[Path] = ConfigOpt) -> None:
    """Fix the ISO 2859-1 plan and draw the sample. / 确定抽样方案并抽样。"""
    from hegui.annotation import batches
    from hegui.fileio import write_atomic

    sv = services(config)
    with sv.db.session() as s:
        p, picks = batches.sample(s, name, actor=actor(), aql=aql)
    console.print(f"plan 抽样方案: lot 批量 {p.lot_size}, code letter 字码 {p.code_letter}"
                  f"{'→' + p.plan_letter if p.plan_letter != p.code_letter else ''}, n = {p.sample_size}, "
                  f"Ac {p.ac} / Re {p.re} (AQL {p.aql}, {p.standard})", soft_wrap=True)
    if out:
        write_atomic(out, "".join(f"{i}\n" for i in picks))
        console.print(f"sample 样本 → {out}")


@batch_app.command("accept")
def batch_accept(name: str = typer.Argument(...), defects: int = typer.Option(..., "--defects", help="defects in sample"),
                 by: str = typer.Option(..., "--by", help="inspector (not an executor of the batch) / 检验人"),
                 safety_failed: Optional[int] = typer.Option(None, "--safety-failed",
                                                             help="failed safety checks (GB/T 45674 8.3 c)"),
                 aql: Optional[float] = typer.Option(None, "--aql"), config: Optional[Path] = ConfigOpt) -> None:
    """Record the sample's defects → accept / reject / discard. / 登记抽检结果并判定。"""
    from hegui.annotation import batches

    sv = services(config)
    with sv.db.session() as s:
        row = batches.inspect(s, name, actor=actor(), inspected_by=by, defects=defects, safety_failed=safety_failed,
                              aql=aql)
        p = row.plan
        console.print(f"AQL {p['aql']}: {row.defects} defects 不合格 vs Ac {p['ac']} → {row.aql_decision}", soft_wrap=True)
        if row.safety_failed is not None:
            console.print(f"8.3 c: {row.safety_failed} failed safety checks 安全核验不合格 → "
                          f"{'discard 废弃' if row.discard else 'within 5 % 未超 5%'}")
        console.print(f"batch 批次 {name}: [bold]{row.decision}[/]")


@batch_app.command("list")
def batch_list(config: Optional[Path] = ConfigOpt) -> None:
    """Batches with κ and decisions. / 批次及一致性、验收结论。"""
    from hegui.annotation import batches

    sv = services(config)
    table = Table("batch 批次", "kind 类型", "items 条目", "κ", "agreement 一致率", "plan 方案", "defects 不合格",
                  "state 状态")
    with sv.db.session() as s:
        for b in batches.listing(s):
            ag, ins = batches.latest_agreement(s, b), batches.latest_inspection(s, b)
            plan = f"AQL {b.plan['aql']} n={b.plan['sample_size']} Ac {b.plan['ac']}" if b.plan else "—"
            table.add_row(b.name, b.kind, str(b.item_count),
                          "—" if ag is None else ("undefined" if ag.kappa is None else f"{ag.kappa:.3f}"),
                          "—" if ag is None else f"{ag.percent:.1%}", plan, "—" if ins is None else str(ins.defects),
                          b.state)
    console.print(table)


# -- agreement, coverage, export -------------------------------------------------------------------

@agreement_app.command("import")
def agreement_import(batch: str = typer.Argument(...), file_a: Path = typer.Argument(..., help="CSV/JSONL item_id,label"),
                     file_b: Path = typer.Argument(...), config: Optional[Path] = ConfigOpt) -> None:
    """Two annotators' labels for the same items → Cohen's κ. / 导入双人标注，计算 κ。"""
    from hegui.annotation import batches

    sv = services(config)
    with sv.db.session() as s:
        row = batches.record_agreement(s, batch, file_a, file_b, actor=actor())
        k = "undefined 无法计算 (one label only)" if row.kappa is None else f"{row.kappa:.3f}"
        console.print(f"batch 批次 {batch}: {row.items} items 条, κ = {k}, agreement 一致率 {row.percent:.1%}")
        for c in row.detail["confusion"][:10]:
            console.print(f"  {c['a']} ≠ {c['b']}: {c['count']}", markup=False)
        if row.detail["only_a"] or row.detail["only_b"]:
            console.print(f"  only in A 仅 A: {row.detail['only_a']}, only in B 仅 B: {row.detail['only_b']}")


@app.command("coverage")
def coverage_cmd(file: Path = typer.Argument(..., help="safety labels CSV/JSONL: item_id,label (risk id | safe)"),
                 total: int = typer.Option(..., "--total", help="size of the whole annotated set / 标注数据总量"),
                 config: Optional[Path] = ConfigOpt) -> None:
    """GB/T 45674 8.1: ≥ 200 safety items per risk, ≥ 3 % of the set. / 安全标注覆盖检查。"""
    from hegui.annotation import coverage

    sv = services(config)
    with sv.db.session() as s:
        _, r = coverage.record(s, file, annotated_total=total, actor=actor())
    console.print(f"8.1 b: {r.safety_items}/{r.annotated_total} = {r.share:.2%} (≥ 3 %: {'yes 是' if r.share_ok else 'no 否'})")
    console.print(f"8.1 a: risks under 200 不足 200 条的风险: "
                  f"{', '.join(f'{k}={v}' for k, v in r.short.items()) or 'none 无'}", soft_wrap=True)
    if not r.ok:
        raise typer.Exit(1)


@app.command("export")
def export_cmd(out: Path = typer.Option(..., "--out", help="output folder"), config: Optional[Path] = ConfigOpt) -> None:
    """The filing's annotation-rules attachment. / 导出备案“标注规则”附件。"""
    from hegui.annotation.export import export

    sv = services(config)
    with sv.db.session() as s:
        files = export(s, out, reexam_months=sv.settings.annotation.reexam_months)
    for f in files:
        console.print(str(f), markup=False)
