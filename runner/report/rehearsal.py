"""What a migration lead decides on, gathered from the audit trail of one execution: the go/no-go
verdict, the quarantine and the data-quality issues by reason with examples, what changed since
the previous rehearsal and where the time went. The HTML and Markdown renderings read only this.

Examples show legacy ids and the offending values of the columns a reason names (seed
quarantine_reasons); for a reason whose values are personal data only the ids, whose values are
in the quarantine export."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg

from runner import outcomes
from runner.audit import AuditStore
from runner.report.console import execution_data, not_validated, status_text
from runner.report.export import ExportFile
from runner.report.reasons import REGISTRY, Rule, rule_of

SLOWEST_MODELS = 10
VALUE_WIDTH = 60


@dataclass(frozen=True)
class Example:
    legacy_id: int
    values: str  # the offending values, "" when personal or not at hand


@dataclass(frozen=True)
class ReasonFigure:
    entity: str
    kind: str  # quarantined | data_quality
    code: str
    rows: int
    share: float  # percent of the entity's legacy rows
    rule: Rule
    examples: tuple[Example, ...]


@dataclass(frozen=True)
class EntityDiff:
    entity: str
    now: outcomes.Totals
    before: outcomes.Totals


@dataclass(frozen=True)
class ReasonChange:
    entity: str
    kind: str
    code: str
    rows_now: int
    rows_before: int


@dataclass
class Comparison:
    previous: dict[str, Any]
    entities: list[EntityDiff]
    appeared: list[ReasonChange]
    disappeared: list[ReasonChange]
    fixed: list[tuple[outcomes.Movement, tuple[Example, ...]]]
    broken: list[tuple[outcomes.Movement, tuple[Example, ...]]]
    phases: list[tuple[int, str, float | None, float | None]]  # phase, name, seconds now, before


@dataclass(frozen=True)
class Bar:
    label: str
    kind: str  # step | phase | node (a model or test)
    start: float  # seconds from the execution's start
    seconds: float


@dataclass
class Verdict:
    go: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def line(self) -> str:
        if self.go:
            return (
                "Fit for go-live: every live legacy row is migrated, quarantined or merged, every "
                "gate passed and every entity is within its error tolerance."
            )
        return "Not fit for go-live: " + "; ".join(self.reasons) + "."


@dataclass
class Rehearsal:
    data: dict[str, Any]  # execution_data(): execution, phases, entities, validations, ...
    status: str
    seconds: float | None
    recorded: bool
    completeness: list[outcomes.Completeness]
    gates: list[tuple[str, str, str]]  # where, status, failed checks
    tolerances: list[tuple[str, float, float]]  # entity, quarantined %, tolerance %
    verdict: Verdict
    totals: dict[str, outcomes.Totals]
    reasons: list[ReasonFigure]
    comparison: Comparison | None
    timeline: list[Bar]
    exports: list[ExportFile] = field(default_factory=list)  # written beside the report

    @property
    def execution(self) -> dict[str, Any]:
        return self.data["execution"]

    @property
    def not_validated(self) -> str:
        return not_validated(self.data)


def gather(store: AuditStore, execution_id: str, compare_with: str | None = None) -> Rehearsal:
    """Everything the reports show of one execution; compared with compare_with, or else with the
    previous execution that recorded its outcome."""
    data = execution_data(store, execution_id)
    e = data["execution"]
    eid = str(e["id"])
    conn = store.conn
    recorded = outcomes.outcomes(conn, eid)
    totals = outcomes.totals(recorded)
    proof = outcomes.completeness(conn, eid)
    gates, tolerances = _gates(data)
    seconds = (e["ended_at"] - e["started_at"]).total_seconds() if e["ended_at"] else None
    verdict = _verdict(data, bool(recorded), proof, gates, tolerances)
    legacy_rows = _legacy_rows(data, totals)
    relations = _relations(conn)
    reasons = _reasons(conn, relations, recorded, legacy_rows)
    before = compare_with or outcomes.previous(conn, eid)
    comparison = _compare(store, relations, eid, before, totals) if before and before != eid else None
    return Rehearsal(
        data=data,
        status=status_text(data),
        seconds=seconds,
        recorded=bool(recorded),
        completeness=proof,
        gates=gates,
        tolerances=tolerances,
        verdict=verdict,
        totals=totals,
        reasons=reasons,
        comparison=comparison,
        timeline=_timeline(store, e),
    )


# --- go / no-go ---------------------------------------------------------------------------------


def _gates(data: dict) -> tuple[list[tuple[str, str, str]], list[tuple[str, float, float]]]:
    """Each gate's latest result (per phase and entity, and the overall validation), and each
    entity's quarantine rate against its tolerance, as the gate judged it."""
    latest: dict[tuple, dict] = {}
    for v in data["validations"]:
        latest[(v["phase"], v["entity"])] = v
    gates, tolerances = [], []
    for (phase, entity), v in latest.items():
        where = f"phase {phase}, {entity}" if phase is not None else (entity or "overall")
        failed = [c["name"] for c in v["checks"] if c["status"] == "failed"]
        gates.append((where, v["overall_status"], ", ".join(failed)))
        for c in v["checks"]:
            if c["name"] == "quarantine rate" and entity:
                tolerances.append((entity, _percent(c["actual"]), _percent(c["expected"])))
    return gates, sorted(tolerances)


def _percent(value: Any) -> float:
    return float(str(value).strip("<=% "))


def _verdict(
    data: dict,
    recorded: bool,
    proof: list[outcomes.Completeness],
    gates: list[tuple[str, str, str]],
    tolerances: list[tuple[str, float, float]],
) -> Verdict:
    e, verdict = data["execution"], Verdict(go=True)

    def no(reason: str) -> None:
        verdict.go = False
        verdict.reasons.append(reason)

    if e["status"] != "completed":
        no(f"the execution is {e['status']}" + (f" ({e['message'].rstrip('.')})" if e["message"] else ""))
    if data["rollback"]["restored"]:
        no("it was rolled back since")
    selection = e["selection"] or {}
    if selection.get("phases") or selection.get("entities"):
        no("it migrated a selection, not every entity")
    if not recorded:
        no("it recorded no outcome per legacy row, so completeness cannot be shown")
    unproved = [p for p in proof if not p.proved]
    if unproved:
        no(
            "legacy rows are not accounted for in "
            + ", ".join(f"{p.legacy_table} ({p.missing + p.unexpected + p.twice:,})" for p in unproved[:5])
        )
    failed = [where for where, status, _ in gates if status == "failed"]
    if failed:
        no(f"{len(failed)} gate{'s' if len(failed) > 1 else ''} failed ({', '.join(failed[:3])})")
    over = [f"{entity} {rate:.1f}% > {limit:g}%" for entity, rate, limit in tolerances if rate > limit]
    if over:
        no("quarantine above the error tolerance: " + ", ".join(over))
    return verdict


# --- quarantine and data quality by reason ---------------------------------------------------------


def _legacy_rows(data: dict, totals: dict[str, outcomes.Totals]) -> dict[str, int]:
    rows = {r["entity"]: r["expected_records"] for r in data["entities"]}
    rows.update({entity: t.extracted for entity, t in totals.items() if t.extracted})
    return rows


def _reasons(
    conn: psycopg.Connection,
    relations: dict[tuple[str, str], tuple[str, str]],
    recorded: list[outcomes.Outcome],
    legacy_rows: dict[str, int],
) -> list[ReasonFigure]:
    merged: dict[tuple[str, str, str], list[outcomes.Outcome]] = {}
    for o in recorded:
        if o.fate in ("quarantined", "data_quality"):
            merged.setdefault((o.entity, o.fate, o.reason), []).append(o)
    figures = []
    for (entity, kind, code), parts in merged.items():
        rows = sum(p.rows for p in parts)
        rule = rule_of(code)
        examples = tuple(
            example
            for p in parts
            for example in examples_of(conn, relations, p.entity, p.legacy_table, kind, code, p.examples[:3])
        )[:3]
        share = 100.0 * rows / legacy_rows[entity] if legacy_rows.get(entity) else 0.0
        figures.append(ReasonFigure(entity, kind, code, rows, share, rule, examples))
    return sorted(figures, key=lambda f: (f.kind != "quarantined", f.entity, -f.rows, f.code))


# Seven parameters: the query's key (entity, table, kind, code) and its limits, all used in one query.
def examples_of(
    conn: psycopg.Connection,
    relations: dict[tuple[str, str], tuple[str, str]],
    entity: str,
    legacy_table: str,
    kind: str,
    code: str,
    ids: tuple[int, ...],
) -> list[Example]:
    """The offending values of a few rows: from the quarantine's original values (quarantined
    rows) or the staged legacy row (rows migrated with an issue), as the target holds them now."""
    rule = rule_of(code)
    if not ids:
        return []
    if rule.personal or not rule.columns:
        return [Example(i, "") for i in ids]
    values: dict[int, dict] = {}
    if (entity, legacy_table) in relations:
        quarantine, staged = relations[(entity, legacy_table)]
        if kind == "quarantined":
            query = (
                f"select legacy_id, original_values from {quarantine} "
                "where legacy_table = %s and legacy_id = any(%s)"
            )
            params: tuple = (legacy_table, list(ids))
        else:
            query = f"select legacy_id, to_jsonb(staged) from {staged} as staged where legacy_id = any(%s)"
            params = (list(ids),)
        try:
            with conn.transaction():
                values = {int(i): v or {} for i, v in conn.execute(query, params).fetchall()}
        except psycopg.Error:
            values = {}
    return [Example(i, _values(values.get(i), rule.columns)) for i in ids]


def _relations(conn: psycopg.Connection) -> dict[tuple[str, str], tuple[str, str]]:
    """Per entity and legacy table, its quarantine and staging relations (the registry of the
    proof by id, macros/reconciliation.sql)."""
    try:
        with conn.transaction():
            rows = conn.execute(
                f"select entity, legacy_table, quarantine_relation, staged_relation from {REGISTRY} "
                "where staged_relation is not null"
            ).fetchall()
    except psycopg.Error:
        return {}
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def _values(row: dict | None, columns: tuple[str, ...]) -> str:
    if row is None:
        return ""
    shown = []
    for column in columns:
        if column in row:
            value = row[column]
            text = (
                "NULL" if value is None else json.dumps(value) if not isinstance(value, str) else repr(value)
            )
            shown.append(f"{column}={text[:VALUE_WIDTH]}{'...' if len(text) > VALUE_WIDTH else ''}")
    return ", ".join(shown)


# --- comparison ----------------------------------------------------------------------------------


def _compare(
    store: AuditStore,
    relations: dict[tuple[str, str], tuple[str, str]],
    eid: str,
    before_id: str,
    totals: dict[str, outcomes.Totals],
) -> Comparison:
    conn = store.conn
    previous = store.execution(before_id)
    before_totals = outcomes.totals(outcomes.outcomes(conn, str(previous["id"])))
    names = sorted(set(totals) | set(before_totals))
    entities = [
        EntityDiff(n, totals.get(n, outcomes.Totals()), before_totals.get(n, outcomes.Totals()))
        for n in names
    ]
    appeared, disappeared = [], []
    for d in entities:
        for kind, now, before in (
            ("quarantined", d.now.reasons, d.before.reasons),
            ("data_quality", d.now.issues, d.before.issues),
        ):
            for code in sorted(set(now) - set(before)):
                appeared.append(ReasonChange(d.entity, kind, code, now[code], 0))
            for code in sorted(set(before) - set(now)):
                disappeared.append(ReasonChange(d.entity, kind, code, 0, before[code]))
    moved = outcomes.movements(conn, eid, str(previous["id"]))
    fixed = [(m, tuple(Example(i, "") for i in m.examples[:3])) for m in moved if m.kind == "fixed"]
    broken = [
        (
            m,
            tuple(
                examples_of(
                    conn, relations, m.entity, m.legacy_table, "quarantined", m.reason, m.examples[:3]
                )
            ),
        )
        for m in moved
        if m.kind == "broken"
    ]
    return Comparison(
        previous=previous,
        entities=entities,
        appeared=appeared,
        disappeared=disappeared,
        fixed=fixed,
        broken=broken,
        phases=_phase_seconds(store, eid, str(previous["id"])),
    )


def _phase_seconds(
    store: AuditStore, eid: str, before_id: str
) -> list[tuple[int, str, float | None, float | None]]:
    rows = store.rows(
        """
        select phase, name, execution_id,
            extract(epoch from ended_at - started_at)::float8 as seconds
        from cutover_audit.phases
        where execution_id in (%s, %s)
        order by phase
        """,
        (eid, before_id),
    )
    phases: dict[int, list] = {}
    for r in rows:
        entry = phases.setdefault(r["phase"], [r["phase"], r["name"], None, None])
        entry[2 if str(r["execution_id"]) == eid else 3] = r["seconds"]
    return [tuple(p) for p in phases.values()]


# --- timeline ------------------------------------------------------------------------------------


def _timeline(store: AuditStore, e: dict) -> list[Bar]:
    """The phases and the slowest models and tests on the execution's time axis, from the audit
    trail: the set-up, the phases' start and end, the overall validation, and the slowest nodes
    each dbt invocation logged (metadata slowest)."""
    start: datetime = e["started_at"]
    bars = []
    phases = store.rows(
        "select phase, name, started_at, ended_at from cutover_audit.phases "
        "where execution_id = %s and started_at is not null order by phase",
        (e["id"],),
    )
    for p in phases:
        end = p["ended_at"] or e["ended_at"]
        if end:
            bars.append(
                Bar(
                    f"phase {p['phase']} {p['name']}",
                    "phase",
                    (p["started_at"] - start).total_seconds(),
                    (end - p["started_at"]).total_seconds(),
                )
            )
    if bars:
        first = min(b.start for b in bars)
        last = max(b.start + b.seconds for b in bars)
        bars.insert(0, Bar("set-up: target, seeds, before-images", "step", 0.0, first))
        if e["ended_at"]:
            total = (e["ended_at"] - start).total_seconds()
            bars.append(Bar("overall validation, outcome", "step", last, max(total - last, 0.0)))
    models = [
        Bar(name, "node", (began - start).total_seconds(), seconds)
        for name, seconds, began in store.node_timings(str(e["id"]))
        if began is not None
    ]
    models.sort(key=lambda b: b.seconds, reverse=True)
    return bars + sorted(models[:SLOWEST_MODELS], key=lambda b: b.start)
