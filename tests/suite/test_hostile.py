"""Hostile legacy rows, beyond the generator's data problems: the build never crashes, and every
row ends migrated, merged or quarantined with a reason; the reconciliation stays exact."""

from __future__ import annotations

import pytest
from support import query

from cutover_dev.legacy.tables import TABLES
from runner.config import target_endpoint

ALL_TABLES = [t.name for t in TABLES]

BASE = 995000
HUGE_JSON = '{"teeth": [' + ",".join(f'{{"n": {i}, "note": "{"x" * 40}"}}' for i in range(20000)) + "]}"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
SQL_TEXT = "'; drop table app.offices; --"
WEIRD = "\x01\x02\t\n\u200b\u202e\U0001f9b7 Zoë \u0301 Ω"

# (legacy table, statement) in an order that lets later rows refer to earlier ones.
CORPUS = [
    ("dispatch_office", f"insert into dispatch_office (id) values ({BASE + 1})"),
    (
        "dispatch_office",
        "insert into dispatch_office (id, name, city, country, email, zip, phone, created, modified)"
        f" values ({BASE + 2}, repeat('\U0001d518', 255), %(weird)s, 'ＵＳＡ', %(sql)s || '@x.com', '', %(sql)s,"
        " '0044-03-15 BC', '9999-12-31 23:59:59')",
    ),
    (
        "dispatch_office",
        f"insert into dispatch_office (id, name, created) values ({BASE + 3}, '', '2021-03-14 02:30')",
    ),
    (
        "dispatch_category",
        f"insert into dispatch_category (id, name, parent_id) values ({BASE + 1}, 'self', {BASE + 1})",
    ),
    (
        "dispatch_category",
        f"insert into dispatch_category (id, name, parent_id) values ({BASE + 2}, 'a', {BASE + 3})",
    ),
    (
        "dispatch_category",
        f"insert into dispatch_category (id, name, parent_id) values ({BASE + 3}, 'b', {BASE + 2})",
    ),
    (
        "dispatch_category",
        f"insert into dispatch_category (id, name, slug, parent_id, sort_order) values ({BASE + 4}, %(sql)s, %(weird)s, {BASE + 2}, 2147483647)",
    ),
    (
        "auth_user",
        "insert into auth_user (id, username, email, first_name, last_name, date_joined, last_login)"
        f" values ({BASE + 1}, repeat('u', 150), 'ÄÖÜ@例え.jp', %(weird)s, %(sql)s, '2021-11-07 01:30', '0001-01-01')",
    ),
    ("auth_user", f"insert into auth_user (id) values ({BASE + 2})"),
]
ORDER_COPIES = {  # order rows copied from a real order, with one hostile value each
    BASE + 1: "1e308",
    BASE + 2: "'NaN'",
    BASE + 3: "'Infinity'",
    BASE + 4: "'-0'",
    BASE + 5: "99999999999.999",
    BASE + 6: "-1e-308",
}
PLAN_DATA = {
    BASE + 1: HUGE_JSON,
    BASE + 2: DEEP_JSON,
    BASE + 3: "not json {",
    BASE + 4: '{"a": "\\u0000"}',
    BASE + 5: "",
}
ENTITY_OF = {
    "dispatch_office": "offices",
    "dispatch_category": "categories",
    "auth_user": "profiles",
    "dispatch_order": "orders",
    "dispatch_plan": "treatment_plans",
    "dispatch_discount": "discounts",
}


@pytest.fixture(scope="module")
def hostile(generated_legacy, admin, target_super, dbt_project):
    params = {"weird": WEIRD.replace("\x00", ""), "sql": SQL_TEXT}
    rows = []
    for table, statement in CORPUS:
        query(admin, statement, params if "%(" in statement else ())
        rows.append((table, int(statement.split("values (")[1].split(",")[0].rstrip(")"))))
    for legacy_id, total in ORDER_COPIES.items():
        query(
            admin,
            "insert into dispatch_order (id, order_no, patient_id, doctor_id, office_id, status, total, currency,"
            " rush, notes, submitted_at, shipped_at, created, modified)"
            f" select {legacy_id}, order_no, patient_id, doctor_id, office_id, status, {total},"
            " currency, rush, %(sql)s, submitted_at, shipped_at, created, modified from dispatch_order"
            " where id = (select min(id) from dispatch_order)",
            params,
        )
        rows.append(("dispatch_order", legacy_id))
    for legacy_id, data in PLAN_DATA.items():
        query(
            admin,
            "insert into dispatch_plan (id, patient_id, order_id, version, approved, data, created)"
            f" select {legacy_id}, patient_id, order_id, 2147483647, true, %(data)s, '1900-01-01'"
            " from dispatch_plan where id = (select min(id) from dispatch_plan)",
            {"data": data},
        )
        rows.append(("dispatch_plan", legacy_id))
    query(
        admin,
        "insert into dispatch_discount (id, offer_id, code, amount_cents, percent, max_uses, used_count)"
        f" select {BASE + 1}, offer_id, %(sql)s, 2147483647, 999.99, -2147483648, 2147483647"
        " from dispatch_discount where id = (select min(id) from dispatch_discount)",
        params,
    )
    rows.append(("dispatch_discount", BASE + 1))
    for table in ALL_TABLES:  # a row with nothing but its key, in every legacy table
        query(admin, f"insert into {table} (id) values ({BASE + 9})")
    query(
        target_super, "drop schema if exists app, staging, intermediate, quarantine, audit, mapping cascade"
    )
    result = dbt_project.invoke(["build"])
    return rows, result


def test_the_build_survives_every_hostile_row(hostile):
    _, result = hostile
    assert result.success, [(n.name, (n.message or "")[:300]) for n in result.failed()] or result.error


def test_every_hostile_row_is_migrated_or_quarantined_with_a_reason(hostile):
    rows, result = hostile
    assert result.success
    target = target_endpoint()
    lost = []
    for table, legacy_id in rows:
        entity = ENTITY_OF[table]
        migrated = query(target, f"select count(*) from app.{entity} where legacy_id = %s", (legacy_id,))[0][
            0
        ]
        reasons = query(
            target,
            "select reject_reason from audit.quarantine where legacy_table = %s and legacy_id = %s",
            (table, legacy_id),
        )
        if migrated + len(reasons) != 1 or any(reason is None for (reason,) in reasons):
            lost.append((table, legacy_id, migrated, reasons))
    assert lost == []
    assert query(target, "select coalesce(sum(abs(unexplained_rows)), 0) from audit.reconciliation") == [(0,)]


def test_a_row_with_only_its_key_in_every_legacy_table_is_accounted_for(hostile):
    """29 rows, one per legacy table, NULL in every column but the key: each is quarantined with
    a reason or migrated (with NULLs where the rules allow them), none is lost."""
    _, result = hostile
    assert result.success
    target = target_endpoint()
    entities: dict[str, set[str]] = {}
    for entity, table in query(target, "select entity, legacy_table from audit.reconciliation"):
        entities.setdefault(table, set()).add(entity)
    lost = []
    for table in ALL_TABLES:
        quarantined = query(
            target,
            "select count(*) from audit.quarantine where legacy_table = %s and legacy_id = %s"
            " and reject_reason is not null",
            (table, BASE + 9),
        )[0][0]
        migrated = sum(
            query(target, f"select count(*) from app.{entity} where legacy_id = %s", (BASE + 9,))[0][0]
            for entity in entities[table]
        )
        if quarantined + migrated == 0:
            lost.append(table)
    assert len(ALL_TABLES) == 29
    assert lost == []
