"""``jointcheck policy show|check|explain``: policy packs at the command line (R13).

``show PACK`` prints a pack's decision table, categories, parameters, rules and products in
zh-CN and en; ``check PACK`` validates a pack file (exit 1 with the path of the bad field);
``explain`` verifies codes as ``jointcheck verify`` does and explains the decision for them
at a venue category: outcome, reasons, the rules that fired, the actions required. PACK is a
shipped pack id (``fangzi-2021``...) or a pack file. Exit status of ``explain``: 0 admitted,
1 not admitted (PERSUADE or DENY), 2 a usage error.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from jointcheck.cli.credentials import _codes, _instant, _keyring, _revocations
from jointcheck.cli.trust import faults_exit_2
from jointcheck.credentials.model import Credential
from jointcheck.credentials.reasons import Reason
from jointcheck.credentials.verify import VerifierContext
from jointcheck.credentials.verify import verify as verify_text
from jointcheck.errors import PolicyPackError
from jointcheck.policy import (
    DEFAULT_PACK,
    SHIPPED_PACKS,
    Decision,
    Evidence,
    Mode,
    Pack,
    PolicyReason,
    compile_pack,
    evaluate,
    resolve_pack,
)
from jointcheck.policy.reasons import action_message, message, outcome_message

app = typer.Typer(
    help="Policy packs: print a decision table, validate a pack, explain a decision.",
    no_args_is_help=True,
)

_PACK_HELP = f"a shipped pack ({', '.join(SHIPPED_PACKS)}) or a pack file"
_MODE_TEXT = {Mode.RESTRICT: "限制 restrict", Mode.PERSUADE: "劝导 persuade"}


def _decision_rows(pack: Pack) -> list[tuple[str, str, str]]:
    """What each mode does with each situation, as evaluate() decides it (R1-R4)."""
    p = pack.parameters
    age, level = p.eligible_age_years, p.contraindication_min_level
    rows: list[tuple[str, str, str]] = []
    if p.health_code_required:
        refused = "/".join(c for c in ("green", "yellow", "red") if c not in p.passing_colours)
        rows.append(("无有效健康码 / no valid health code (R1)", "DENY", "DENY"))
        deny_report = "DENY + REPORT_TO_STREET"
        rows.append((f"健康码 {refused} / {refused} code (R4)", deny_report, deny_report))
    rows.append((f"未满 {age} 周岁 / under {age}", "ADMIT", "ADMIT"))
    entry = p.vaccinated_for_entry.text()
    rows.append((f"符合接种要求 / vaccinated for entry: {entry}", "ADMIT", "ADMIT"))
    accepted = "ADMIT" if p.restricted_accepts_contraindication else "DENY"
    rows.append(
        (
            f"未接种，持{level}级及以上医院禁忌证明 / contraindication, level >= {level}",
            accepted,
            "ADMIT",
        )
    )
    rows.append(("未接种，已登记 / not vaccinated, registered", "DENY", "ADMIT_REGISTERED"))
    rows.append(("未接种 / not vaccinated", "DENY", "PERSUADE + REGISTER"))
    return rows


def _tables(pack: Pack) -> list[Table]:
    decisions = Table(title="判定表 decision table", show_lines=True)
    for column in ("情形 situation", "限制 restrict (R2)", "劝导 persuade (R3)"):
        decisions.add_column(column, overflow="fold")
    for row in _decision_rows(pack):
        decisions.add_row(*row)
    categories = Table(title="场所类别 venue categories")
    for column in ("id", "中文", "English", "模式 mode", "要求 requirements"):
        categories.add_column(column, overflow="fold")
    for c in pack.categories:
        categories.add_row(c.id, c.name.zh, c.name.en, _MODE_TEXT[c.mode], " ".join(c.requirements))
    parameters = Table(title="参数 parameters")
    parameters.add_column("name")
    parameters.add_column("value")
    p = pack.parameters
    for name in p.__slots__:
        value = getattr(p, name)
        text = value.text() if name == "vaccinated_for_entry" else value
        parameters.add_row(name, str(text if not isinstance(text, tuple) else ", ".join(text)))
    rules = Table(title="规则 CertLogic rules", show_lines=True)
    for column in ("id", "中文", "English"):
        rules.add_column(column, overflow="fold")
    for r in pack.rules:
        rules.add_row(r.id, r.description.zh, r.description.en)
    products = Table(title="疫苗产品 products")
    for column in ("mp", "名称 / name", "series", "min interval (days)"):
        products.add_column(column, overflow="fold")
    for v in pack.products:
        products.add_row(
            v.id, f"{v.name.zh} / {v.name.en}", str(v.series_doses), str(v.min_interval_days)
        )
    return [decisions, categories, parameters, rules, products]


@app.command("show")
@faults_exit_2
def show(pack: str = typer.Argument(DEFAULT_PACK, help=_PACK_HELP)) -> None:
    """Print a pack's decision table, categories, parameters, rules and products."""
    loaded = resolve_pack(pack)
    console = Console(highlight=False)
    console.print(
        f"{loaded.title.zh} / {loaded.title.en}\n"
        f"{loaded.id} {loaded.version}, 生效 valid from {loaded.valid_from.isoformat()}"
    )
    for table in _tables(loaded):
        console.print(table)


@app.command("check")
def check(pack: str = typer.Argument(..., help=_PACK_HELP)) -> None:
    """Validate a pack: exit 0 if it loads, 1 with the path of the bad field if not."""
    try:
        loaded = resolve_pack(pack)
        compile_pack(loaded)
    except PolicyPackError as exc:
        typer.echo(f"invalid pack {pack}: {exc}", err=True)
        if exc.path:
            typer.echo(f"field: {exc.path}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(
        f"OK {loaded.id} {loaded.version}: {len(loaded.categories)} categories, "
        f"{len(loaded.rules)} CertLogic rules, {len(loaded.products)} products"
    )


def _print_decision(console: Console, decision: Decision, pack: Pack, shown: list[str]) -> None:
    category = next(c for c in pack.categories if c.id == decision.venue)
    outcome = decision.outcome
    console.print(
        f"[bold]{outcome.value}[/] {outcome_message(outcome, 'zh_CN')} / {outcome_message(outcome, 'en')}"
    )
    console.print(f"人员 person: {decision.person.name or '-'} {decision.person.dob}")
    console.print(
        f"场所 venue: {category.id} {category.name.zh} / {category.name.en} "
        f"({_MODE_TEXT[category.mode]}), {pack.id} {pack.version}"
    )
    console.print("原因 reasons:")
    codes: tuple[PolicyReason | Reason, ...] = (*decision.reasons, *decision.failures)
    for code in codes:
        console.print(f"  {code.value}: {message(code, 'zh_CN')} / {message(code, 'en')}")
    console.print("规则 rules:")
    for rule in decision.rules:
        mark = {True: "✓", False: "✗", None: "·"}[rule.passed]
        error = f" [{rule.error}]" if rule.error else ""
        console.print(f"  {mark} {rule.id}: {rule.zh} / {rule.en}{error}")
    if decision.actions:
        console.print("须办 actions:")
        for action in decision.actions:
            console.print(
                f"  {action.value}: {action_message(action, 'zh_CN')} / {action_message(action, 'en')}"
            )
    console.print("凭证 credentials: " + ", ".join(shown))


@app.command("explain")
@faults_exit_2
def explain(  # noqa: PLR0917 - Typer passes options by keyword
    codes: list[str] = typer.Argument(..., help="QR text, a PNG/JPEG image, or - for stdin"),
    pack: str = typer.Option(DEFAULT_PACK, "--pack", help=_PACK_HELP),
    venue: str = typer.Option(..., "--venue", help="venue category id, e.g. nursing_homes"),
    at: str = typer.Option(..., "--at", help="instant of the check, ISO 8601 with zone, or now"),
    registered: bool = typer.Option(False, "--registered", help="the person has registered (R3)"),
    trust_file: Path | None = typer.Option(None, "--trust", help="signed trust list"),
    root: Path | None = typer.Option(None, "--root", help="pinned district root public key"),
    dsc: list[Path] = typer.Option([], "--dsc", help="trust this DCC signing certificate"),
    revocations: Path | None = typer.Option(None, "--revocations", help="signed revocation list"),
    skew: int = typer.Option(30, "--skew", min=0, max=600, help="clock skew allowed, seconds"),
    as_json: bool = typer.Option(False, "--json", help="the decision as one JSON object"),
) -> None:
    """Verify CODES, then explain the decision for that person at a VENUE category."""
    loaded = resolve_pack(pack)
    ctx = VerifierContext(
        at=_instant(at, "--at"),
        keys=_keyring(trust_file, root, dsc),
        revocations=_revocations(revocations, root),
        clock_skew=timedelta(seconds=skew),
    )
    credentials: list[Credential] = []
    failed: list[Reason] = []
    shown: list[str] = []
    for text in _codes(codes):
        result = verify_text(text, ctx)
        kind = result.type.value if result.type is not None else "?"
        if result.valid and result.credential is not None:
            credentials.append(result.credential)
            shown.append(f"✓ {kind}")
        else:
            failed.append(result.reason)
            shown.append(f"✗ {kind} {result.reason.value}")
    evidence = Evidence.of(credentials, registered=registered, failed=failed)
    decision = evaluate(evidence, venue, compile_pack(loaded), ctx.at)
    if as_json:
        typer.echo(json.dumps(decision.as_dict(), ensure_ascii=False))
    else:
        _print_decision(Console(highlight=False), decision, loaded, shown)
    raise typer.Exit(0 if decision.admitted else 1)
