"""The constraints an entity's enforced contract declares, checked against the target's catalog.

A data test that restates such a constraint (not_null on a NOT NULL column, unique on a primary
key, relationships on a foreign key) cannot fail: the database refuses the row before the test
could see it. The project declares those guarantees once, as contract constraints, and the
phase gate checks here, with two catalog queries per entity instead of one dbt test node per
column, that every one of them is present and validated. That is the one way such a guarantee
can lapse: a constraint dropped by hand, added NOT VALID, or still deferred by an interrupted
first load (runner/deferral.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg

KEY_TYPES = {"primary_key": "p", "unique": "u", "foreign_key": "f"}
KIND_NAMES = {"p": "primary key", "u": "unique", "f": "foreign key"}


@dataclass
class Declared:
    keys: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)  # (contype, columns)
    not_null: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.keys) + len(self.not_null)


def declared(node) -> Declared:
    """What the enforced contract of a parsed dbt model `node` guarantees."""
    result = Declared()
    if not node.config.contract.enforced:
        return result
    for name, column in node.columns.items():
        for constraint in column.constraints:
            kind = str(getattr(constraint.type, "value", constraint.type))
            if kind in ("not_null", "primary_key"):
                result.not_null.add(name)
            if kind in KEY_TYPES:
                result.keys.add((KEY_TYPES[kind], (name,)))
    for constraint in node.constraints:
        kind = str(getattr(constraint.type, "value", constraint.type))
        if kind in KEY_TYPES and constraint.columns:
            result.keys.add((KEY_TYPES[kind], tuple(constraint.columns)))
            if kind == "primary_key":
                result.not_null.update(constraint.columns)
    return result


def gaps(conn: psycopg.Connection, relation: str, wanted: Declared) -> list[str]:
    """The declared constraints `relation` lacks or holds unvalidated, one phrase each."""
    present = {
        (kind, tuple(columns)): valid
        for kind, columns, valid in conn.execute(
            """
            select c.contype::text, array_agg(a.attname::text order by k.ord), bool_and(c.convalidated)
            from pg_constraint as c
            cross join lateral unnest(c.conkey) with ordinality as k (attnum, ord)
            join pg_attribute as a on a.attrelid = c.conrelid and a.attnum = k.attnum
            where c.conrelid = to_regclass(%s) and c.contype in ('p', 'u', 'f')
            group by c.oid, c.contype
            """,
            (relation,),
        )
    }
    not_null = {
        row[0]
        for row in conn.execute(
            "select attname::text from pg_attribute where attrelid = to_regclass(%s) "
            "and attnum > 0 and not attisdropped and attnotnull",
            (relation,),
        )
    }
    missing = []
    for kind, columns in sorted(wanted.keys):
        # a unique column may be the primary key, which is unique too
        if (kind, columns) in present or (kind == "u" and ("p", columns) in present):
            if not present.get((kind, columns), True):
                missing.append(f"{KIND_NAMES[kind]} ({', '.join(columns)}) not validated")
            continue
        missing.append(f"no {KIND_NAMES[kind]} ({', '.join(columns)})")
    missing += [f"{column} nullable" for column in sorted(wanted.not_null - not_null)]
    return missing
