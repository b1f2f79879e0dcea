"""The completeness proof as the runner reads it: per entity and legacy table, the legacy ids the
extraction read against the ids migrated, quarantined and merged, as sets (util.reconcile in the
target, macros/reconciliation.sql); and the one sentence that names what does not add up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg


@dataclass(frozen=True)
class Reconciliation:
    """One (entity, legacy table) pair. The figures are None while the entity is not built or no
    extraction of the table is recorded."""

    entity: str
    legacy_table: str
    extracted_at: datetime | None
    legacy_rows: int | None
    migrated_rows: int | None
    quarantined_rows: int | None
    merged_rows: int | None
    missing_rows: int | None
    unexpected_rows: int | None
    unexplained_rows: int | None
    missing_ids: tuple[int, ...]
    unexpected_ids: tuple[int, ...]

    @property
    def proved(self) -> bool:
        return self.unexplained_rows == 0

    @property
    def accounted_rows(self) -> int:
        return (self.migrated_rows or 0) + (self.quarantined_rows or 0) + (self.merged_rows or 0)

    def summary(self) -> str:
        """The figures, or what does not add up, in one clause naming the table."""
        if self.legacy_rows is None:
            return f"{self.legacy_table}: no extraction recorded, or {self.entity} not built"
        if self.proved:
            return (
                f"{self.legacy_table}: {self.legacy_rows:,} legacy ids read = {self.migrated_rows:,} "
                f"migrated + {self.quarantined_rows:,} quarantined + {self.merged_rows:,} merged"
            )
        parts = []
        if self.missing_rows:
            parts.append(
                f"{self.missing_rows:,} legacy {_rows(self.missing_rows)} neither migrated, quarantined "
                f"nor merged ({_ids(self.missing_ids, self.missing_rows)})"
            )
        if self.unexpected_rows:
            parts.append(
                f"{self.unexpected_rows:,} {_rows(self.unexpected_rows)} of {self.entity} whose legacy id "
                f"the extraction did not read ({_ids(self.unexpected_ids, self.unexpected_rows)})"
            )
        surplus = self.unexplained_rows - (self.missing_rows or 0) - (self.unexpected_rows or 0)
        if surplus:
            parts.append(f"{surplus:,} legacy ids accounted for more than once")
        return f"{self.legacy_table}: {', '.join(parts)}"


def reconcile(conn: psycopg.Connection, entity: str | None = None) -> list[Reconciliation]:
    """The pairs of one entity (of every entity when None), in phase order; none before the
    target was set up."""
    if conn.execute("select to_regprocedure('util.reconcile(text)') is null").fetchone()[0]:
        return []
    rows = conn.execute("select * from util.reconcile(%s)", (entity,)).fetchall()
    return [
        Reconciliation(
            *row[:10],
            missing_ids=tuple(row[10] or ()),
            unexpected_ids=tuple(row[11] or ()),
        )
        for row in rows
    ]


def _rows(count: int) -> str:
    return "row" if count == 1 else "rows"


def _ids(ids: tuple[int, ...], count: int) -> str:
    shown = ", ".join(str(i) for i in ids)
    return f"{'id' if count == 1 else 'ids'} {shown}" + (", ..." if count > len(ids) else "")
