"""The rows to fix, for the client's staff: the quarantined legacy rows with their reason, its rule
in plain words and their original legacy values, one file per entity (CSV or JSON). These files
hold personal data of the legacy database: the reports link to them and never copy their values.

Without an execution the export is the quarantine as the target holds it now; with one, the rows
that execution quarantined (cutover_audit.outcomes) that are still in the quarantine."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from runner import outcomes
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
        query = _Query(entity, quarantines[entity], reasons, execution_id)
        keys, count = query.keys(conn), 0
        if keys is not None:  # else no row
            path = directory / f"quarantine-{entity}.{fmt}"
            rows = (_row(r) for r in conn.cursor().stream(*query.rows()))
            count = _write_csv(path, keys, rows) if fmt == "csv" else _write_json(path, rows)
            files.append(ExportFile(entity, path, count))
        if execution_id:
            gone += query.recorded_rows(conn) - count
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


class _Query:
    """The quarantined rows of one entity to export: all of them, or those an execution recorded
    as quarantined (its latest recording, joined once), of the reasons asked for."""

    def __init__(
        self, entity: str, relation: str, reasons: tuple[str, ...], execution_id: str | None
    ) -> None:
        self.relation = relation
        self.params = {"execution": execution_id, "entity": entity, "reasons": list(reasons) or None}
        # the execution's quarantined id sets, of the reasons asked for
        self.recorded = (
            f"select * from ({outcomes.latest_recording('execution')}) as o where o.fate = 'quarantined' "
            "and o.entity = %(entity)s and (%(reasons)s::text[] is null or o.reason = any(%(reasons)s))"
        )
        self.joins, self.where = "", "(%(reasons)s::text[] is null or q.reject_reason = any(%(reasons)s))"
        if execution_id:
            # the recorded ids one by one (a hash join): a containment test per row would
            # read the whole multirange again for every row
            self.joins = (
                f"join (select o.legacy_table, o.reason, id from ({self.recorded}) as o "
                "cross join lateral unnest(o.legacy_ids) as r "
                "cross join lateral generate_series(lower(r), upper(r) - 1) as id) as o "
                "on o.legacy_table = q.legacy_table and o.reason = q.reject_reason and o.id = q.legacy_id"
            )
        self.source = f"from {relation} as q {self.joins} where {self.where}"

    def rows(self) -> tuple[str, dict]:
        return (
            "select q.entity, q.legacy_table, q.legacy_id, q.reject_reason, q.quarantined_at, "
            f"q.original_values {self.source} order by q.legacy_table, q.reject_reason, q.legacy_id",
            self.params,
        )

    def keys(self, conn: psycopg.Connection) -> list[str] | None:
        """The legacy columns of the rows (original_values' keys), None when there is no row."""
        found = conn.execute(
            "select array_agg(distinct key order by key) filter (where key is not null), "
            f"count(distinct q.legacy_id) from {self.relation} as q {self.joins} "
            f"left join lateral jsonb_object_keys(q.original_values) as key on true where {self.where}",
            self.params,
        ).fetchone()
        return (found[0] or []) if found[1] else None

    def recorded_rows(self, conn: psycopg.Connection) -> int:
        """How many rows the execution recorded as quarantined (of the reasons asked for)."""
        return conn.execute(
            f"select coalesce(sum({outcomes.size('o.legacy_ids')}), 0) from ({self.recorded}) as o",
            self.params,
        ).fetchone()[0]


def _row(r: tuple) -> dict:
    return {
        "entity": r[0],
        "legacy_table": r[1],
        "legacy_id": r[2],
        "reject_reason": r[3],
        "rule": rule_of(r[3]).rule,
        "quarantined_at": r[4].isoformat() if r[4] else None,
        "original_values": r[5] or {},
    }


def _write_csv(path: Path, keys: list[str], rows: Iterator[dict]) -> int:
    """One column per legacy column; rows written as they arrive from the server."""
    count = 0
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*FIXED_COLUMNS, *keys])
        for row in rows:
            values = row["original_values"]
            writer.writerow([row[c] for c in FIXED_COLUMNS] + [_cell(values.get(k)) for k in keys])
            count += 1
    return count


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _write_json(path: Path, rows: Iterator[dict]) -> int:
    """A JSON array, one row at a time."""
    count = 0
    with path.open("w") as f:
        f.write("[")
        for row in rows:
            f.write(("," if count else "") + "\n  " + json.dumps(row, ensure_ascii=False))
            count += 1
        f.write("\n]\n")
    return count
