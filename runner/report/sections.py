"""The report's sections as plain text and tables, built once from a Rehearsal: the HTML and the
Markdown renderings show the same figures because they render the same sections."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from runner.report.console import ENTITY_COLUMNS, duration
from runner.report.reasons import rule_of
from runner.report.rehearsal import Example, Rehearsal


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    key: str  # the HTML id
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    links: list[tuple[str, Path]] = field(default_factory=list)  # label, file
    chart: str = ""  # timeline | rows (drawn by the HTML only; the tables carry the figures)


def sections(r: Rehearsal) -> list[Section]:
    parts = [_go_no_go(r)]
    if r.comparison:
        parts.append(_changes(r))
    parts += [_timeline(r), _quarantine(r), _data_quality(r), _entities(r)]
    return parts


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _delta(now: int, before: int) -> str:
    return "0" if now == before else f"{now - before:+,}"


def _examples(examples: tuple[Example, ...], personal: bool) -> str:
    if not examples:
        return "-"
    text = "; ".join(f"{e.legacy_id}" + (f" ({e.values})" if e.values else "") for e in examples)
    return text + (" (personal data: values in the export)" if personal else "")


# --- go / no-go ------------------------------------------------------------------------------------


# Long: one section of the report, paragraph after paragraph in the order it reads.
def _go_no_go(r: Rehearsal) -> Section:
    e = r.execution
    section = Section("summary", "Go / no-go", [r.verdict.line])
    ended = f"ended {e['ended_at']:%Y-%m-%d %H:%M:%S %Z}" if e["ended_at"] else "not ended"
    section.paragraphs.append(
        f"Execution {e['id']}, profile {e['profile']}: {r.status}. Started "
        f"{e['started_at']:%Y-%m-%d %H:%M:%S %Z}, {ended}"
        + (f", {duration(r.seconds)}." if r.seconds is not None else ".")
    )
    if e["message"]:
        section.paragraphs.append(e["message"])
    if r.not_validated:
        section.paragraphs.append(f"Not validated: {r.not_validated}")
    checks = Table(["check", "result", "detail"], [])
    if r.completeness:
        read = sum(p.extracted for p in r.completeness)
        unproved = [p for p in r.completeness if not p.proved]
        checks.rows.append(
            [
                "completeness by id",
                "failed" if unproved else "passed",
                (
                    "; ".join(
                        f"{p.legacy_table}: {p.missing:,} not accounted for {list(p.missing_ids)}, "
                        f"{p.unexpected:,} not read {list(p.unexpected_ids)}, {p.twice:,} twice"
                        for p in unproved
                    )
                    if unproved
                    else f"{read:,} live legacy rows of {len(r.completeness)} tables, each migrated, "
                    "quarantined or merged once"
                ),
            ]
        )
    else:
        checks.rows.append(
            ["completeness by id", "not recorded", "no outcome was recorded for this execution"]
        )
    failed = [g for g in r.gates if g[1] == "failed"]
    warned = sum(g[1] == "warning" for g in r.gates)
    passed = f"{len(r.gates)} gates passed" + (f" ({warned} with warnings)" if warned else "")
    checks.rows.append(
        [
            "gates",
            "failed" if failed else "passed" if r.gates else "none ran",
            "; ".join(f"{where}: {names}" for where, _, names in failed) or passed,
        ]
    )
    over = [t for t in r.tolerances if t[1] > t[2]]
    checks.rows.append(
        [
            "error tolerance",
            "failed" if over else "passed",
            "; ".join(f"{entity}: {rate:.2f}% quarantined > {limit:g}%" for entity, rate, limit in over)
            or f"{len(r.tolerances)} entities within their tolerance",
        ]
    )
    checks.rows.append(["duration", duration(r.seconds) if r.seconds is not None else "-", ""])
    performance = [v for v in r.data["validations"] if v["entity"] == "performance"]
    if performance:
        found = performance[-1]["checks"]
        warned = [f"{c['name']}: {c['message']}" for c in found if c["status"] == "warning"]
        slowest = next((c["message"] for c in found if c["name"].startswith("slowest models")), "")
        checks.rows.append(
            ["performance", "warning" if warned else "passed", "; ".join(warned) or f"slowest: {slowest}"]
        )
    section.tables.append(checks)
    section.tables.append(
        Table(
            ["entity", "quarantined %", "tolerance %", "within"],
            [
                [entity, f"{rate:.2f}", f"{limit:g}", "yes" if rate <= limit else "NO"]
                for entity, rate, limit in r.tolerances
            ],
            "Each entity's quarantine against its error tolerance",
        )
    )
    return section


# --- since the previous rehearsal --------------------------------------------------------------------


# Long: one section of the report, paragraph after paragraph in the order it reads.
def _changes(r: Rehearsal) -> Section:
    c = r.comparison
    assert c is not None
    p = c.previous
    section = Section(
        "changes",
        "Since the previous rehearsal",
        [
            f"Compared with execution {p['id']} (profile {p['profile']}, started "
            f"{p['started_at']:%Y-%m-%d %H:%M:%S %Z}, {p['status']})."
        ],
    )
    fixed, broken = sum(m.rows for m, _ in c.fixed), sum(m.rows for m, _ in c.broken)
    section.paragraphs.append(
        f"{fixed:,} rows quarantined then are migrated now (fixed); {broken:,} rows migrated then are "
        f"quarantined now (broken)."
    )
    section.tables.append(
        Table(
            [
                "entity",
                "migrated",
                "change",
                "quarantined",
                "change",
                "merged",
                "change",
                "data-quality issues",
                "change",
            ],
            [
                [
                    d.entity,
                    _n(d.now.migrated),
                    _delta(d.now.migrated, d.before.migrated),
                    _n(d.now.quarantined),
                    _delta(d.now.quarantined, d.before.quarantined),
                    _n(d.now.merged),
                    _delta(d.now.merged, d.before.merged),
                    _n(d.now.data_quality),
                    _delta(d.now.data_quality, d.before.data_quality),
                ]
                for d in c.entities
            ],
            "Rows per entity, now and the change since the previous rehearsal",
        )
    )
    kinds = {"quarantined": "quarantine", "data_quality": "data quality"}
    changes = [[ch.entity, kinds[ch.kind], ch.code, "appeared", _n(ch.rows_now)] for ch in c.appeared] + [
        [ch.entity, kinds[ch.kind], ch.code, "disappeared", f"{ch.rows_before:,} before"]
        for ch in c.disappeared
    ]
    section.tables.append(
        Table(
            ["entity", "kind", "reason", "change", "rows"],
            changes or [["-", "-", "-", "no reason appeared or disappeared", "-"]],
            "Reasons that appeared or disappeared",
        )
    )
    section.tables.append(
        Table(
            ["entity", "legacy table", "change", "reason", "rows", "examples (legacy ids)"],
            [
                [
                    m.entity,
                    m.legacy_table,
                    "fixed (was quarantined)",
                    m.reason,
                    _n(m.rows),
                    _examples(ex, False),
                ]
                for m, ex in c.fixed
            ]
            + [
                [
                    m.entity,
                    m.legacy_table,
                    "broken (now quarantined)",
                    m.reason,
                    _n(m.rows),
                    _examples(ex, _personal(m.reason)),
                ]
                for m, ex in c.broken
            ]
            or [["-", "-", "no row changed between migrated and quarantined", "-", "0", "-"]],
            "Rows fixed and broken",
        )
    )
    section.tables.append(
        Table(
            ["phase", "name", "now", "before", "change"],
            [
                [
                    str(phase),
                    name,
                    duration(now) if now is not None else "-",
                    duration(before) if before is not None else "-",
                    f"{now - before:+.1f} s" if now is not None and before is not None else "-",
                ]
                for phase, name, now, before in c.phases
            ],
            "Duration per phase",
        )
    )
    return section


def _personal(code: str) -> bool:
    return rule_of(code).personal


# --- timeline ------------------------------------------------------------------------------------------


def _timeline(r: Rehearsal) -> Section:
    section = Section(
        "timeline",
        "Timeline",
        [
            "Where the time went: the set-up, the phases, the overall validation and the slowest "
            "models and tests, on the execution's time axis (seconds from its start)."
        ],
        chart="timeline",
    )
    section.tables.append(
        Table(
            ["what", "kind", "from (s)", "to (s)", "seconds"],
            [
                [b.label, b.kind, f"{b.start:.1f}", f"{b.start + b.seconds:.1f}", f"{b.seconds:.1f}"]
                for b in r.timeline
            ],
        )
    )
    return section


# --- quarantine and data quality ----------------------------------------------------------------------


def _reason_table(r: Rehearsal, kind: str) -> Table:
    return Table(
        ["entity", "reason", "rows", "share %", "rule", "examples: legacy id (offending values)"],
        [
            [
                f.entity,
                f.code,
                _n(f.rows),
                f"{f.share:.2f}",
                f.rule.rule,
                _examples(f.examples, f.rule.personal),
            ]
            for f in r.reasons
            if f.kind == kind
        ],
    )


def _quarantine(r: Rehearsal) -> Section:
    total = sum(t.quarantined for t in r.totals.values())
    section = Section(
        "quarantine",
        "Quarantine by reason",
        [
            f"{total:,} legacy rows quarantined: not migrated, kept with their reason and original "
            "values. The share is of the entity's legacy rows. The rows to fix in the legacy "
            "application are in the quarantine export (personal data: handle it as such)."
        ],
        tables=[_reason_table(r, "quarantined")],
        links=[(f"{f.entity} ({f.rows:,} rows)", f.path) for f in r.exports],
    )
    return section


def _data_quality(r: Rehearsal) -> Section:
    total = sum(t.data_quality for t in r.totals.values())
    return Section(
        "data-quality",
        "Data-quality issues by kind",
        [f"{total:,} issues on migrated rows: values migrated as NULL or repaired, and reported."],
        tables=[_reason_table(r, "data_quality")],
    )


# --- entities ------------------------------------------------------------------------------------------


def _entities(r: Rehearsal) -> Section:
    data = r.data
    validation: dict[str, str] = {}
    for v in data["validations"]:
        failed = [c["name"] for c in v["checks"] if c["status"] != "passed"]
        validation[v["entity"]] = v["overall_status"] + (f" ({', '.join(failed[:3])})" if failed else "")
    phases = Table(
        ["phase", "name", "status", "legacy", "migrated", "quarantined", "duration"],
        [
            [
                str(p["phase"]),
                p["name"],
                p["status"],
                _n(p["records_processed"]),
                _n(p["records_successful"]),
                _n(p["records_failed"]),
                duration((p["ended_at"] - p["started_at"]).total_seconds())
                if p["ended_at"] and p["started_at"]
                else "-",
            ]
            for p in data["phases"]
        ],
        "Phases",
    )
    entities = Table(
        [*ENTITY_COLUMNS, "validation"],
        [
            [
                e["entity"],
                str(e["phase"]),
                e["status"],
                _n(e["expected_records"]),
                _n(e["migrated_records"]),
                _n(e["quarantined_records"]),
                _n(e["merged_records"]),
                _n(e["rows_written"]),
                f"{float(e['seconds'] or 0):.1f}",
                f"{float(e['rows_per_second'] or 0):,.0f}",
                str(e["data_quality"]) if e["data_quality"] is not None else "-",
                validation.get(e["entity"], "-"),
            ]
            for e in data["entities"]
        ],
        "Entities",
    )
    batches = Table(
        ["entity", "batches", "rows written"],
        [[b["entity"], _n(b["batches"]), _n(int(b["rows"] or 0))] for b in data["batches"]],
        "Checkpointed batches",
    )
    return Section(
        "entities",
        "Phases and entities",
        tables=[phases, entities] + ([batches] if data["batches"] else []),
        chart="rows",
    )
