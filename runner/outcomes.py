"""Where every legacy row stood when an execution ended, kept per execution (cutover_audit.outcomes):
per entity and legacy table, the ids extracted, migrated, merged, quarantined per reason and
migrated with a data-quality issue per kind, as id sets (int8multirange). Recorded by the runner
at the end of each execution, completed or stopped at a gate; read by the rehearsal report, which
proves completeness from it and compares two executions row by row (fixed, broken)."""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

# how many ids a multirange holds, and its first few, in SQL (m: an int8multirange expression)
_SIZE = "(select coalesce(sum(upper(r) - lower(r)), 0) from unnest({m}) as r)::bigint"
_FIRST = (
    "(select coalesce(array_agg(id order by id), '{{}}') from (select lower(r) + g as id "
    "from unnest({m}) as r, generate_series(0, least(upper(r) - lower(r), {n}) - 1) as g "
    "order by 1 limit {n}) as first)"
)
EXAMPLES = 5


def size(multirange: str) -> str:
    return _SIZE.format(m=multirange)


def first(multirange: str, n: int = EXAMPLES) -> str:
    return _FIRST.format(m=multirange, n=n)


def record(conn: psycopg.Connection, execution_id: str) -> int:
    """Record where every legacy row stands now as the outcome of the execution; returns the rows
    recorded (none when the target holds no entity yet). One transaction: a recording is whole."""
    if conn.execute("select to_regprocedure('util.outcomes()') is null").fetchone()[0]:
        return 0
    with conn.transaction():
        recorded_at = conn.execute("select clock_timestamp()").fetchone()[0]
        count = conn.execute(
            "insert into cutover_audit.outcomes "
            "(execution_id, recorded_at, entity, legacy_table, fate, reason, row_count, legacy_ids) "
            "select %s, %s, * from util.outcomes()",
            (execution_id, recorded_at),
        ).rowcount
        if conn.execute("select to_regclass('audit.data_quality_issues') is not null").fetchone()[0]:
            count += conn.execute(
                "insert into cutover_audit.outcomes "
                "(execution_id, recorded_at, entity, legacy_table, fate, reason, row_count, legacy_ids) "
                "select %s, %s, entity, legacy_table, 'data_quality', issue_code, count(*), "
                "range_agg(int8range(legacy_id::bigint, legacy_id::bigint, '[]')) "
                "from audit.data_quality_issues group by entity, legacy_table, issue_code",
                (execution_id, recorded_at),
            ).rowcount
    return count


def latest_recording(execution: str) -> str:
    """The rows of an execution's latest recording (SQL; the execution id as a parameter name)."""
    return (
        f"select * from cutover_audit.outcomes where execution_id = %({execution})s and recorded_at = "
        f"(select max(recorded_at) from cutover_audit.outcomes where execution_id = %({execution})s)"
    )


@dataclass(frozen=True)
class Outcome:
    entity: str
    legacy_table: str
    fate: str
    reason: str
    rows: int
    examples: tuple[int, ...]


def outcomes(conn: psycopg.Connection, execution_id: str) -> list[Outcome]:
    """The execution's latest recording, with the first ids of each set; empty when none."""
    rows = conn.execute(
        f"select entity, legacy_table, fate, reason, row_count, {first('legacy_ids')} "
        f"from ({latest_recording('e')}) as o order by entity, legacy_table, fate, row_count desc, reason",
        {"e": execution_id},
    ).fetchall()
    return [Outcome(r[0], r[1], r[2], r[3], r[4], tuple(r[5])) for r in rows]


@dataclass(frozen=True)
class Completeness:
    """The proof by id from a recording: the ids extracted against those accounted for."""

    entity: str
    legacy_table: str
    extracted: int
    accounted: int
    missing: int
    unexpected: int
    twice: int
    missing_ids: tuple[int, ...]
    unexpected_ids: tuple[int, ...]

    @property
    def proved(self) -> bool:
        return self.missing == 0 and self.unexpected == 0 and self.twice == 0


def completeness(conn: psycopg.Connection, execution_id: str) -> list[Completeness]:
    """Per entity and legacy table with an extraction recorded: every extracted id migrated,
    quarantined or merged, none of them twice, and nothing accounted for that was not extracted."""
    rows = conn.execute(
        f"""
        with recorded as ({latest_recording("e")}),

        -- range_agg of multiranges is PostgreSQL 15's: the ranges are unnested (14 has them)
        pairs as (
            select
                entity,
                legacy_table,
                range_agg(r) filter (where fate = 'extracted') as extracted,
                coalesce(range_agg(r) filter (where fate <> 'extracted'), '{{}}') as accounted
            from recorded
            cross join lateral unnest(legacy_ids) as r
            where fate in ('extracted', 'migrated', 'merged', 'quarantined')
            group by entity, legacy_table
        ),

        counted as (
            select
                entity,
                legacy_table,
                sum(row_count) filter (where fate = 'extracted') as extracted_rows,
                coalesce(sum(row_count) filter (where fate in ('migrated', 'merged', 'quarantined')), 0)
                    as accounted_rows
            from recorded
            group by entity, legacy_table
        )

        select
            entity,
            legacy_table,
            extracted_rows,
            accounted_rows,
            {size("coalesce(extracted, '{}') - accounted")},
            {size("accounted - coalesce(extracted, '{}')")},
            accounted_rows - {size("accounted")},
            {first("coalesce(extracted, '{}') - accounted")},
            {first("accounted - coalesce(extracted, '{}')")}
        from pairs
        join counted using (entity, legacy_table)
        where extracted_rows is not null
        order by entity, legacy_table
        """,
        {"e": execution_id},
    ).fetchall()
    return [Completeness(*r[:7], tuple(r[7]), tuple(r[8])) for r in rows]


def previous(conn: psycopg.Connection, execution_id: str) -> str | None:
    """The latest execution started before this one with an outcome recorded."""
    row = conn.execute(
        """
        select e.id from cutover_audit.executions as e
        where e.started_at < (select started_at from cutover_audit.executions where id = %s)
          and exists (select from cutover_audit.outcomes as o where o.execution_id = e.id)
        order by e.started_at desc
        limit 1
        """,
        (execution_id,),
    ).fetchone()
    return str(row[0]) if row else None


@dataclass(frozen=True)
class Movement:
    """Rows of one entity and legacy table that changed fate between two executions: fixed (were
    quarantined, now migrated) or broken (were migrated, now quarantined)."""

    entity: str
    legacy_table: str
    kind: str  # fixed | broken
    reason: str  # the quarantine reason: before for fixed rows, now for broken ones
    rows: int
    examples: tuple[int, ...]


def movements(conn: psycopg.Connection, execution_id: str, before_id: str) -> list[Movement]:
    rows = conn.execute(
        f"""
        with now_ as ({latest_recording("now")}),

        before as ({latest_recording("before")}),

        moved as (
            select
                n.entity, n.legacy_table, 'fixed' as kind, b.reason, n.legacy_ids * b.legacy_ids as ids
            from now_ as n
            join before as b using (entity, legacy_table)
            where n.fate = 'migrated' and b.fate = 'quarantined'
            union all
            select n.entity, n.legacy_table, 'broken', n.reason, n.legacy_ids * b.legacy_ids
            from now_ as n
            join before as b using (entity, legacy_table)
            where n.fate = 'quarantined' and b.fate = 'migrated'
        )

        select entity, legacy_table, kind, reason, {size("ids")} as moved_rows, {first("ids")}
        from moved
        where not isempty(ids)
        order by kind desc, entity, legacy_table, moved_rows desc, reason
        """,
        {"now": execution_id, "before": before_id},
    ).fetchall()
    return [Movement(r[0], r[1], r[2], r[3], r[4], tuple(r[5])) for r in rows]


@dataclass
class Totals:
    """Per entity: rows migrated, quarantined, merged and with data-quality issues."""

    migrated: int = 0
    quarantined: int = 0
    merged: int = 0
    data_quality: int = 0
    extracted: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    issues: dict[str, int] = field(default_factory=dict)


def totals(recorded: list[Outcome]) -> dict[str, Totals]:
    result: dict[str, Totals] = {}
    for o in recorded:
        t = result.setdefault(o.entity, Totals())
        if o.fate == "quarantined":
            t.quarantined += o.rows
            t.reasons[o.reason] = t.reasons.get(o.reason, 0) + o.rows
        elif o.fate == "data_quality":
            t.data_quality += o.rows
            t.issues[o.reason] = t.issues.get(o.reason, 0) + o.rows
        else:
            setattr(t, o.fate, getattr(t, o.fate) + o.rows)
    return result
