"""The rows to fix, for the client's staff: the quarantined legacy rows with their reason, its rule
in plain words and their original legacy values, one file per entity (CSV or JSON). These files
hold personal data of the legacy database: the reports link to them and never copy their values.

Without an execution the export is the quarantine as the target holds it now; with one, the rows
that execution quarantined (cutover_audit.outcomes) that are still in the quarantine."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import psycopg

from runner.errors import CutoverError
from runner.report.reasons import REGISTRY, rule_of, rules

FORMATS = ("csv", "json")
FIXED_COLUMNS = ("entity", "legacy_table", "legacy_id", "reject_reason", "rule", "quarantined_at")


@dataclass(frozen=True)
class ExportFile:
    entity: str
    path: Path
    rows: int


def export_quarantine(
    conn: psycopg.Connection,
    directory: Path,
    fmt: str = "csv",
    entities: tuple[str, ...] = (),
    reasons: tuple[str, ...] = (),
    execution_id: str | None = None,
) -> tuple[list[ExportFile], int]:
    """Writes one file per entity with quarantined rows; returns the files and how many rows the
    execution quarantined that have left the quarantine since (fixed or gone from legacy)."""
    if fmt not in FORMATS:
        raise CutoverError(f"Unknown export format {fmt!r}: choose csv or json.")
    quarantines = _quarantines(conn)
    unknown = sorted(set(entities) - set(quarantines))
    if unknown:
        raise CutoverError(
            f"No entity named {', '.join(unknown)} has a quarantine: "
            f"choose among {', '.join(sorted(quarantines))}."
        )
    unknown = sorted(set(reasons) - set(rules()))
    if unknown:
        raise CutoverError(
            f"No reject reason is named {', '.join(unknown)}: seeds/quarantine_reasons.csv lists the codes."
        )
    directory.mkdir(parents=True, exist_ok=True)
    files, gone = [], 0
    for entity in sorted(entities or quarantines):
        rows, left = _rows(conn, entity, quarantines[entity], reasons, execution_id)
        gone += left
        if not rows:
            continue
        path = directory / f"quarantine-{entity}.{fmt}"
        (_write_csv if fmt == "csv" else _write_json)(path, rows)
        files.append(ExportFile(entity, path, len(rows)))
    return files, gone


def _quarantines(conn: psycopg.Connection) -> dict[str, str]:
    try:
        with conn.transaction():
            rows = conn.execute(f"select distinct entity, quarantine_relation from {REGISTRY}").fetchall()
    except psycopg.errors.UndefinedTable:
        rows = []
    found = {entity: relation for entity, relation in rows}
    if not found:
        raise CutoverError("The target holds no quarantine yet: run the cutover first.")
    return {
        entity: relation
        for entity, relation in found.items()
        if conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]
    }


def _rows(
    conn: psycopg.Connection,
    entity: str,
    relation: str,
    reasons: tuple[str, ...],
    execution_id: str | None,
) -> tuple[list[dict], int]:
    where, params = ["true"], []
    if reasons:
        where.append("q.reject_reason = any(%s)")
        params.append(list(reasons))
    left = 0
    if execution_id:
        recorded = (
            "select legacy_table, reason, legacy_ids from cutover_audit.outcomes where execution_id = %s "
            "and fate = 'quarantined' and entity = %s and recorded_at = (select max(recorded_at) "
            "from cutover_audit.outcomes where execution_id = %s)"
        )
        where.append(
            f"exists (select from ({recorded}) as o where o.legacy_table = q.legacy_table "
            "and o.reason = q.reject_reason and o.legacy_ids @> q.legacy_id::bigint)"
        )
        params += [execution_id, entity, execution_id]
        total = conn.execute(
            f"select coalesce(sum(upper(r) - lower(r)), 0) from ({recorded}) as o, unnest(o.legacy_ids) as r"
            + (" where o.reason = any(%s)" if reasons else ""),
            (execution_id, entity, execution_id, *([list(reasons)] if reasons else [])),
        ).fetchone()[0]
    rows = conn.execute(
        f"select q.entity, q.legacy_table, q.legacy_id, q.reject_reason, q.quarantined_at, q.original_values "
        f"from {relation} as q where {' and '.join(where)} "
        "order by q.legacy_table, q.reject_reason, q.legacy_id",
        params,
    ).fetchall()
    if execution_id:
        left = int(total) - len(rows)
    return [
        {
            "entity": r[0],
            "legacy_table": r[1],
            "legacy_id": r[2],
            "reject_reason": r[3],
            "rule": rule_of(r[3]).rule,
            "quarantined_at": r[4].isoformat() if r[4] else None,
            "original_values": r[5] or {},
        }
        for r in rows
    ], left


def _write_csv(path: Path, rows: list[dict]) -> None:
    """One column per legacy column (original_values' keys, in first-seen order)."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row["original_values"]))
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*FIXED_COLUMNS, *keys])
        for row in rows:
            values = row["original_values"]
            writer.writerow([row[c] for c in FIXED_COLUMNS] + [_cell(values.get(k)) for k in keys])


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _write_json(path: Path, rows: list[dict]) -> None:
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
