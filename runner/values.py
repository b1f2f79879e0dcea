"""Value checks of copied columns (the comprehensive level): every target column whose yml
declares it taken from one legacy column (meta legacy_column) unchanged or by a declared rule
(meta legacy_rule: copy, trim, trim_lower, money, timestamp) is compared, for every migrated
row, with the legacy value read again over the wrapper. Mismatches are reported per entity and
column with the first legacy ids; any mismatch fails the entity's gate."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import psycopg
import yaml
from psycopg import sql

from runner.config import PROJECT_DIR

# the legacy expression a rule gives (l: the legacy column), cast to the target column's type
RULES = {
    "copy": "{l}",
    "trim": "trim({l})",
    "trim_lower": "lower(trim({l}))",
    "money": "round(({l})::numeric, 2)",
    "timestamp": "({l} at time zone {tz})",
}
EXAMPLES = 3
PROJECT = "cutover"  # the dbt project's name, in the manifest's node ids


@dataclass(frozen=True)
class CopiedColumn:
    name: str
    legacy_column: str
    rule: str
    data_type: str


@dataclass(frozen=True)
class Mismatch:
    entity: str
    column: str
    rows: int
    legacy_ids: tuple[int, ...]

    def summary(self) -> str:
        ids = ", ".join(str(i) for i in self.legacy_ids)
        rows = "1 row differs" if self.rows == 1 else f"{self.rows:,} rows differ"
        return f"{self.entity}.{self.column}: {rows} from legacy (legacy ids {ids})"


def copied_columns(node) -> list[CopiedColumn]:
    """The columns of an entity's model that its yml declares copied from legacy."""
    found = []
    for column in node.columns.values():
        meta = column.meta or {}
        if "legacy_column" in meta:
            rule = meta.get("legacy_rule", "copy")
            if rule not in RULES:
                raise ValueError(
                    f"{node.name}.{column.name}: legacy_rule {rule!r} is not one of {', '.join(RULES)}"
                )
            found.append(CopiedColumn(column.name, meta["legacy_column"], rule, column.data_type))
    return found


def compare(
    conn: psycopg.Connection,
    entity: str,
    target: str,
    legacy: str,
    columns: list[CopiedColumn],
    timezone: str,
) -> list[Mismatch]:
    """One pass over the entity and its legacy table (only the declared columns are fetched):
    per column, the rows whose value differs from the rule applied to the legacy value."""
    if not columns:
        return []
    differs = []
    for c in columns:
        expression = RULES[c.rule].format(l=f"l.{_quoted(c.legacy_column)}", tz=_literal(timezone))
        differs.append(f"t.{_quoted(c.name)} is distinct from ({expression})::{c.data_type}")
    figures = ", ".join(
        f"count(*) filter (where {d}), "
        f"(array_agg(t.legacy_id order by t.legacy_id) filter (where {d}))[1:{EXAMPLES}]"
        for d in differs
    )
    row = conn.execute(
        f"select {figures} from {target} as t join {legacy} as l on l.id = t.legacy_id"
    ).fetchone()
    return [
        Mismatch(entity, c.name, row[2 * i], tuple(row[2 * i + 1] or ()))
        for i, c in enumerate(columns)
        if row[2 * i]
    ]


@cache
def legacy_timezone() -> str:
    """The legacy wall clock's zone (dbt_project.yml var legacy_timezone)."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
    return project["vars"]["legacy_timezone"]


def check_entity(
    conn: psycopg.Connection, manifest, entity: str, legacy_table: str
) -> tuple[int, list[Mismatch]]:
    """The entity's declared columns compared with its legacy table: (columns compared, mismatches)."""
    node = manifest.nodes[f"model.{PROJECT}.{entity}"]
    columns = copied_columns(node)
    legacy = manifest.sources[f"source.{PROJECT}.legacy.{legacy_table}"].relation_name
    return len(columns), compare(conn, entity, node.relation_name, legacy, columns, legacy_timezone())


def _quoted(name: str) -> str:
    return sql.Identifier(name).as_string(None)


def _literal(value: str) -> str:
    return sql.Literal(value).as_string(None)
