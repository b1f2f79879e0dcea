"""The dbt models of all 28 entities: build, graph, rules, quarantine, reconciliation, incremental."""

from __future__ import annotations

import json

import psycopg
import pytest
from support import SEED, query

from cutover_dev.legacy.generator import mutate
from runner.config import target_endpoint

PHASE_1 = ("offices", "categories", "profiles")
ENTITIES = (
    "offices",
    "categories",
    "profiles",
    "doctors",
    "patients",
    "orders",
    "products",
    "tasks",
    "cases",
    "messages",
    "files",
    "offers",
    "discounts",
    "payments",
    "purchases",
    "jaws",
    "treatment_plans",
    "projects",
    "doctor_notes",
    "comments",
    "technician_roles",
    "communications",
    "customer_feedback",
    "case_states",
    "case_messages",
    "case_files",
    "message_attachments",
    "doctor_offices",
)
# The dependencies between target entities, as shared/LEGACY_SOURCE.md lists them.
SPEC_DEPENDENCIES = {
    "offices": set(),
    "categories": set(),
    "profiles": set(),
    "doctors": {"offices", "profiles"},
    "patients": {"doctors", "offices"},
    "orders": {"patients", "doctors", "offices"},
    "products": {"orders", "categories"},
    "tasks": {"orders", "patients", "profiles"},
    "cases": {"patients", "doctors"},
    "messages": {"patients", "doctors", "profiles"},
    "files": {"orders", "cases"},
    "offers": {"doctors", "orders"},
    "discounts": {"offers"},
    "payments": {"orders", "profiles"},
    "purchases": {"payments", "orders", "products", "discounts"},
    "jaws": {"patients"},
    "treatment_plans": {"patients", "orders"},
    "projects": {"orders", "profiles"},
    "doctor_notes": {"doctors", "patients"},
    "comments": {"orders", "cases", "tasks", "profiles"},
    "technician_roles": {"profiles"},
    "communications": {"profiles"},
    "customer_feedback": {"patients", "orders"},
    "case_states": {"cases", "profiles"},
    "case_messages": {"cases", "messages"},
    "case_files": {"cases", "files"},
    "message_attachments": {"messages"},
    "doctor_offices": {"doctors", "offices"},
}


def build(dbt_project, *select: str):
    command = ["build"] + (["--select", *select] if select else [])
    result = dbt_project.invoke(command)
    assert result.success, [(n.name, n.message) for n in result.failed()] or result.error
    return result


def rows_differing(target, one: str, other: str) -> int:
    """Rows of either query that the other lacks, duplicates counted."""
    both = f"(({one}) except all ({other})) union all (({other}) except all ({one}))"
    return query(target, f"select count(*) from ({both}) as differing")[0][0]


def rows_written(result, model: str) -> int:
    return next(n.rows_affected for n in result.nodes if n.name == model)


def reconciliation(target):
    return {
        (entity, table): (legacy, unexplained)
        for entity, table, legacy, unexplained in query(
            target, "select entity, legacy_table, legacy_rows, unexplained_rows from audit.reconciliation"
        )
    }


def _entity_dependencies(manifest) -> dict[str, set[str]]:
    """entity -> the target entities its model and its validated model ref()."""
    nodes = manifest.nodes
    entities = {n.name: uid for uid, n in nodes.items() if n.resource_type == "model" and "migrated" in n.fqn}
    by_uid = {uid: name for name, uid in entities.items()}
    dependencies = {}
    for name, uid in entities.items():
        parents = set(nodes[uid].depends_on.nodes)
        validated = f"model.cutover.int_{name}__validated"
        parents |= set(nodes[validated].depends_on.nodes)
        dependencies[name] = {by_uid[p] for p in parents if p in by_uid and by_uid[p] != name}
    return dependencies


def test_ref_graph_gives_exactly_the_spec_dependencies(dbt_project):
    assert _entity_dependencies(dbt_project.manifest) == SPEC_DEPENDENCIES


def test_every_entity_carries_phase_and_criticality_metadata(dbt_project):
    nodes = dbt_project.manifest.nodes.values()
    entities = [n for n in nodes if n.resource_type == "model" and "migrated" in n.fqn]
    assert sorted(n.name for n in entities) == sorted(ENTITIES)
    for node in entities:
        assert {"phase", "business_criticality", "data_volume", "complexity"} <= set(node.meta), node.name
        assert f"phase_{node.meta['phase']}" in node.tags


def test_select_plus_tasks_is_exactly_the_tasks_chain(dbt_project):
    selected = set(dbt_project.list_names("+tasks")) & set(ENTITIES)
    assert selected == {"offices", "profiles", "doctors", "patients", "orders", "tasks"}


def test_build_select_plus_profiles_builds_profiles_and_its_parents_only(fresh_legacy, dbt_project):
    result = build(dbt_project, "+profiles")
    models = {n.name for n in result.nodes if n.resource_type == "model"}
    assert "profiles" in models
    assert not models & {"offices", "categories", "reconciliation"}
    tests = [n for n in result.nodes if n.resource_type == "test"]
    assert any(n.name == "profiles_reconcile_with_auth_user" for n in tests)


def test_a_build_keeps_each_threads_connection_from_node_to_node(fresh_legacy, dbt_project):
    def sessions() -> int:
        return query(
            target_endpoint(), "select sessions from pg_stat_database where datname = current_database()"
        )[0][0]

    before = sessions()
    result = build(dbt_project, "+profiles")
    opened = sessions() - before - 1  # the count's own
    # dbt-postgres alone opens one per node (runner.dbt.keep_connections_between_nodes)
    assert len(result.nodes) > 12
    assert opened <= 8, f"{opened} connections for {len(result.nodes)} nodes"


# One legacy row per data problem (ids 990001 and up), on a small mini-graph of valid parents:
# office 990001, account 990003, doctor 990001, patient 990001, order 990001, case 990001.
PROBLEM_ROWS = """
insert into dispatch_office (id, name, country, email, is_active, created, modified) values
    (990001, 'Gap Dental', ' USA ', ' Front@Gap.Example ', true, '2021-03-14 02:30', '2021-11-07 01:30'),
    (990002, 'Narnia Smiles', 'Narnia', 'no-at-sign', null, '2020-01-01', '2020-01-01'),
    (990003, '', 'US', null, true, '2020-01-01', '2020-01-01');
insert into dispatch_category (id, name, parent_id) values (990001, 'Loop', 990001);
insert into auth_user (id, username, email, password, date_joined, last_login) values
    (990001, 'mixed', ' Mixed.Case@Example.COM ', 'pbkdf2_sha256$secret-hash', '2020-01-01', null),
    (990002, 'broken', 'not-an-email', 'pbkdf2_sha256$secret-hash', '2020-01-01', null),
    (990003, 'twin_recent', 'twin@example.com', 'x', '2020-01-01', '2025-06-01'),
    (990004, 'twin_old', 'TWIN@Example.com ', 'x', '2020-01-01', '2024-06-01'),
    (990005, 'wizard', 'wizard@example.com', 'pbkdf2_sha256$secret-hash', '2020-01-01', null);
insert into dispatch_userprofile (id, user_id, role, settings, office_id, created, modified) values
    (990001, 990001, ' Tech ', '{bad json', 123456789, '2020-01-01', '2020-01-01'),
    (990005, 990005, 'wizard', '', null, '2020-01-01', '2020-01-01'),
    (990010, 123456789, 'doctor', '', null, '2020-01-01', '2020-01-01');
insert into dispatch_doctor (id, user_id, office_id, title, is_deleted, created, modified) values
    (990001, 990003, 990001, 'DMD', false, '2020-01-01', '2020-01-01'),
    (990002, 990004, 990001, '', true, '2020-01-01', '2020-01-01'),
    (990003, 123456789, 990001, 'Dr.', false, '2020-01-01', '2020-01-01');
insert into dispatch_doctor_offices (id, doctor_id, office_id) values
    (990001, 990001, 990001), (990002, 990001, 990001), (990003, 123456789, 990001);
insert into dispatch_patient (id, doctor_id, office_id, first_name, last_name, email, birth_date, sex,
                              is_deleted, created, modified) values
    (990001, 990001, 990001, 'Ada', 'Valid', 'ADA@Example.com', '02/05/1985', 'f', false, '2020-01-01', '2020-01-01'),
    (990002, 990001, 990001, 'Bea', 'Impossible', null, '1985-02-30', '', true, '2020-01-01', '2020-01-01'),
    (990003, 123456789, 990001, 'Cy', 'Orphan', null, '1985-01-01', 'M', false, '2020-01-01', '2020-01-01'),
    (990004, 990001, 990001, 'Dee', 'Other', null, '1990-12-31', 'U', false, '2020-01-01', '2020-01-01');
insert into dispatch_order (id, order_no, patient_id, doctor_id, office_id, status, total, currency, rush,
                            created, modified) values
    (990001, 'ORD-X1', 990001, 990001, 990001, 5, 0.07000000000000001, 'usd', null, '2020-01-01', '2020-01-01'),
    (990002, 'ORD-X1', 990001, 990001, 990001, 99, 10, 'USD', false, '2020-01-01', '2020-01-01'),
    (990003, 'ORD-X3', 990001, 990001, 990001, 2, -5, 'USD', false, '2020-01-01', '2020-01-01'),
    (990004, 'ORD-X4', 990001, 990001, 990001, 2, 12.5, null, false, '2020-01-01', '2020-01-01');
insert into dispatch_task (id, order_id, patient_id, kind, status, assignee_id, created, modified) values
    (990001, 990001, 990001, 'qa_check', 'done ', 123456789, '2020-01-01', '2020-01-01'),
    (990002, 990001, 990001, 'qa_check', 'TODO!', null, '2020-01-01', '2020-01-01'),
    (990003, 990001, 990004, 'qa_check', 'In-Progress', null, '2020-01-01', '2020-01-01'),
    (990004, 990002, 990001, 'qa_check', 'open', null, '2020-01-01', '2020-01-01');
insert into dispatch_case (id, patient_id, doctor_id, title, state, opened_at, is_deleted, created, modified) values
    (990001, 990001, 990001, 'Case', 'Closed', '2020-01-01', false, '2020-01-01', '2020-01-01');
insert into dispatch_casestate (id, case_id, state, changed_at) values
    (990001, 990001, 'open', '2020-01-02'), (990002, 990001, 'closed', '2020-01-01');
insert into dispatch_file (id, order_id, case_id, path, size_bytes, created) values
    (990001, 990001, null, translate('|lab|x|scan.stl', '|', chr(92)), -3, '2020-01-01'),
    (990002, null, null, 'lab/none.stl', 10, '2020-01-01'),
    (990003, 990001, 990001, '/lab/both.stl', 10, '2020-01-01');
insert into storage_inventory (key, size_bytes, md5) values ('lab/both.stl', 11, null);
insert into dispatch_record (id, patient_id, author_id, channel, created) values
    (990001, 990001, 990003, 'PORTAL', '2020-01-01'), (990002, 990001, 990003, 'fax', '2020-01-01');
insert into dispatch_case_messages (id, case_id, record_id) values
    (990001, 990001, 990001), (990002, 990001, 990001);
insert into dispatch_offer (id, doctor_id, order_id, title, valid_from, valid_to, is_active, created) values
    (990001, null, null, 'Everyone', '2020-01-01', null, true, '2020-01-01'),
    (990002, 990001, null, 'Inverted', '2020-02-01', '2020-01-01', true, '2020-01-01'),
    (990003, 123456789, null, 'Orphan doctor', '2020-01-01', null, true, '2020-01-01');
insert into dispatch_discount (id, offer_id, code, used_count, created) values
    (990001, 990001, 'SPRING', 0, '2020-01-01'), (990002, 990001, 'spring', 0, '2020-01-01');
insert into dispatch_payment (id, order_id, payer_id, amount, currency, method, status, created) values
    (990001, 990001, 990003, 10.00, 'usd', 'CC', 'PAID', '2020-01-01'),
    (990002, 990001, 990003, -1.00, 'USD', 'card', 'paid', '2020-01-01');
insert into dispatch_purchase (id, payment_id, order_id, quantity, unit_price_cents, discount_id, created) values
    (990001, 990001, 990001, 1, 100, 990002, '2020-01-01'),
    (990002, 990001, 990004, 1, 100, null, '2020-01-01');
insert into dispatch_jaw (id, patient_id, jaw, teeth, created, modified) values
    (990001, 990001, 'U', '[11, 12]', '2020-01-01', '2020-01-01'),
    (990002, 990001, 'both', '[11]', '2020-01-01', '2020-01-01');
insert into dispatch_plan (id, patient_id, version, approved, data, created, modified) values
    (990001, 990001, 1, true, '{"stages": []}', '2020-01-01', '2020-01-01'),
    (990002, 990001, 1, false, '{"stages": [', '2020-01-01', '2020-01-01');
insert into dispatch_comment (id, content_type, object_id, author_id, body, is_removed, created) values
    (990001, 'task', 990001, 990003, 'on a task', true, '2020-01-01'),
    (990002, 'invoice', 1, 990003, 'other type', false, '2020-01-01'),
    (990003, 'order', 123456789, 990003, 'nowhere', false, '2020-01-01');
insert into dispatch_feedback (id, patient_id, order_id, rating, created) values
    (990001, 990001, null, 10, '2020-01-01');
"""


@pytest.fixture(scope="module")
def seeded_problems(admin, reader_role, dbt_project, target_super):
    """A fresh legacy database, an empty target, one legacy row per data problem; built once."""
    from cutover_dev.legacy.generator import generate

    generate(admin, 0.01, SEED, reader_role=reader_role)
    query(admin, PROBLEM_ROWS)
    query(
        target_super, "drop schema if exists app, staging, intermediate, quarantine, audit, mapping cascade"
    )
    result = build(dbt_project)
    assert not [n.name for n in result.nodes if n.status == "warn"]
    return target_endpoint()


def migrated(target, entity: str, legacy_id: int) -> dict:
    rows = query(target, f"select to_jsonb(t) from app.{entity} as t where legacy_id = %s", (legacy_id,))
    return rows[0][0] if rows else {}


def profile(target, legacy_id: int) -> dict:
    return migrated(target, "profiles", legacy_id)


def issues(target, entity: str, legacy_id: int) -> set[str]:
    rows = query(
        target,
        "select issue_code from audit.data_quality_issues where entity = %s and legacy_id = %s",
        (entity, legacy_id),
    )
    return {r[0] for r in rows}


def quarantined(target, legacy_table: str, legacy_id: int) -> tuple[str, dict] | None:
    rows = query(
        target,
        "select reject_reason, original_values from audit.quarantine "
        "where legacy_table = %s and legacy_id = %s",
        (legacy_table, legacy_id),
    )
    return rows[0] if rows else None


def test_email_is_trimmed_and_lower_cased(seeded_problems):
    assert profile(seeded_problems, 990001)["email"] == "mixed.case@example.com"


def test_invalid_email_becomes_null_and_a_data_quality_issue(seeded_problems):
    assert profile(seeded_problems, 990002)["email"] is None
    assert "invalid_email" in issues(seeded_problems, "profiles", 990002)


def test_most_recently_active_account_keeps_a_shared_email(seeded_problems):
    assert profile(seeded_problems, 990003)["email"] == "twin@example.com"
    assert profile(seeded_problems, 990004)["email"] is None
    assert "duplicate_email" in issues(seeded_problems, "profiles", 990004)


def test_role_variant_is_mapped_and_bad_settings_and_orphan_office_are_reported(seeded_problems):
    migrated = profile(seeded_problems, 990001)
    assert migrated["role"] == "technician"
    assert migrated["settings"] is None and migrated["office_id"] is None
    assert {"invalid_settings_json", "orphan_office"} <= issues(seeded_problems, "profiles", 990001)


def test_unknown_role_is_quarantined_with_original_values_and_no_secret(seeded_problems):
    reason, original = quarantined(seeded_problems, "auth_user", 990005)
    assert reason == "unknown_role"
    assert quarantined(seeded_problems, "dispatch_userprofile", 990005)[0] == "unknown_role"
    assert original["userprofile"]["role"] == "wizard"
    assert "secret-hash" not in json.dumps(original) and "password" not in json.dumps(original)
    assert profile(seeded_problems, 990005) == {}


def test_profile_row_of_a_missing_user_is_quarantined(seeded_problems):
    reason, original = quarantined(seeded_problems, "dispatch_userprofile", 990010)
    assert reason == "orphan_user" and original["legacy_user_id"] == 123456789


def test_country_variants_are_mapped_and_unknown_ones_reported(seeded_problems):
    rows = dict(
        query(seeded_problems, "select legacy_id, country_code from app.offices where legacy_id > 990000")
    )
    assert rows[990001] == "US" and rows[990002] is None
    assert {"unknown_country", "invalid_email"} <= issues(seeded_problems, "offices", 990002)


def test_office_without_a_name_is_quarantined(seeded_problems):
    assert quarantined(seeded_problems, "dispatch_office", 990003)[0] == "missing_name"


def test_dst_gap_and_overlap_follow_the_documented_rule(seeded_problems):
    created, updated = query(
        seeded_problems,
        "select created_at at time zone 'UTC', updated_at at time zone 'UTC' "
        "from app.offices where legacy_id = 990001",
    )[0]
    assert str(created) == "2021-03-14 08:30:00"  # gap: read as UTC-6
    assert str(updated) == "2021-11-07 07:30:00"  # overlap: the later instant, UTC-6


def test_self_referencing_category_becomes_top_level(seeded_problems):
    parent = query(seeded_problems, "select parent_category_id from app.categories where legacy_id = 990001")
    assert parent == [(None,)]
    assert "orphan_parent" in issues(seeded_problems, "categories", 990001)


def test_the_repair_rules_pass_their_dbt_unit_tests(seeded_problems, dbt_project):
    """models/**/_*__unit_tests.yml: timestamps, money, status codes and spellings, emails,
    settings JSON, object keys, each on its own fixture rows."""
    result = dbt_project.invoke(["test", "--select", "test_type:unit"])
    assert result.success, [(n.name, n.message) for n in result.failed()] or result.error
    assert len([n for n in result.nodes if n.resource_type == "unit_test"]) >= 5


def test_every_entity_reconciles_exactly(seeded_problems):
    counts = reconciliation(seeded_problems)
    assert {entity for entity, _ in counts} == set(ENTITIES)
    assert all(legacy > 0 and unexplained == 0 for legacy, unexplained in counts.values())


def test_staging_and_verdict_tables_hold_the_constraints_their_yml_declares(seeded_problems, dbt_project):
    """NOT NULL and unique on legacy_id are part of each staging and verdict table (not tests
    after the build): a row that breaks one fails the build that writes it."""
    declared = {
        (node.schema, node.alias, column.name, str(getattr(c.type, "value", c.type)))
        for node in dbt_project.manifest.nodes.values()
        if node.resource_type == "model" and node.config.schema in ("staging", "intermediate")
        for column in node.columns.values()
        for c in column.constraints
    }
    assert len({(schema, table) for schema, table, _, _ in declared}) >= 59
    in_force = {
        (schema, table, column, kind)
        for schema, table, column, kind in query(
            seeded_problems,
            """
            select n.nspname, c.relname, a.attname, 'not_null'
            from pg_attribute as a join pg_class as c on c.oid = a.attrelid
            join pg_namespace as n on n.oid = c.relnamespace
            where n.nspname in ('staging', 'intermediate') and a.attnotnull and a.attnum > 0
            union all
            select n.nspname, c.relname, a.attname, 'unique'
            from pg_index as i join pg_class as c on c.oid = i.indrelid
            join pg_namespace as n on n.oid = c.relnamespace
            join pg_attribute as a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
            where n.nspname in ('staging', 'intermediate') and i.indisunique and i.indnkeyatts = 1
            """,
        )
    }
    assert declared - in_force == set()
    verdicts = next(t for s_, t, _, _ in sorted(declared) if s_ == "intermediate")
    with pytest.raises(psycopg.errors.NotNullViolation, match="legacy_id"):
        query(seeded_problems, f"insert into intermediate.{verdicts} (legacy_id) values (null)")


def test_data_quality_score_is_kept_per_entity(seeded_problems):
    scores = dict(query(seeded_problems, "select entity, quality_score from audit.data_quality_scores"))
    assert set(scores) == set(ENTITIES)
    assert all(0 <= float(score) <= 100 for score in scores.values())


def test_doctor_without_account_is_quarantined_and_soft_deleted_one_is_marked(seeded_problems):
    assert quarantined(seeded_problems, "dispatch_doctor", 990003)[0] == "orphan_user"
    deleted = migrated(seeded_problems, "doctors", 990002)
    assert deleted["is_deleted"] is True and deleted["title"] is None


def test_birth_dates_parse_both_formats_and_impossible_ones_are_reported(seeded_problems):
    assert migrated(seeded_problems, "patients", 990001)["birth_date"] == "1985-02-05"
    impossible = migrated(seeded_problems, "patients", 990002)
    assert impossible["birth_date"] is None and impossible["is_deleted"] is True
    assert "invalid_birth_date" in issues(seeded_problems, "patients", 990002)
    assert migrated(seeded_problems, "patients", 990001)["sex"] == "F"
    assert quarantined(seeded_problems, "dispatch_patient", 990003)[0] == "orphan_doctor"


def test_money_is_rounded_to_cents_and_bad_orders_are_quarantined(seeded_problems):
    order = migrated(seeded_problems, "orders", 990001)
    assert order["total_usd"] == 0.07 and order["currency"] == "USD" and order["status"] == "delivered"
    assert quarantined(seeded_problems, "dispatch_order", 990002)[0] == "unknown_status"
    assert quarantined(seeded_problems, "dispatch_order", 990003)[0] == "negative_money"
    assert "missing_currency" in issues(seeded_problems, "orders", 990004)


def test_task_status_variants_map_and_unknown_status_is_quarantined(seeded_problems):
    assert migrated(seeded_problems, "tasks", 990001)["status"] == "done"
    assert "orphan_assignee" in issues(seeded_problems, "tasks", 990001)
    assert migrated(seeded_problems, "tasks", 990003)["status"] == "in_progress"
    assert quarantined(seeded_problems, "dispatch_task", 990002)[0] == "unknown_status"


def test_task_patient_disagreeing_with_its_order_is_reported(seeded_problems):
    assert "patient_disagrees_with_order" in issues(seeded_problems, "tasks", 990003)


def test_child_of_a_quarantined_parent_is_quarantined(seeded_problems):
    assert quarantined(seeded_problems, "dispatch_task", 990004)[0] == "orphan_order"


def test_file_keys_are_normalised_and_storage_problems_reported(seeded_problems):
    scan = migrated(seeded_problems, "files", 990001)
    assert scan["object_key"] == "lab/x/scan.stl" and scan["size_bytes"] is None
    assert {"negative_size", "missing_object"} <= issues(seeded_problems, "files", 990001)
    assert quarantined(seeded_problems, "dispatch_file", 990002)[0] == "no_owner"
    assert {"two_owners", "size_mismatch"} <= issues(seeded_problems, "files", 990003)


def test_message_channel_variants_map_and_unknown_channel_is_quarantined(seeded_problems):
    assert migrated(seeded_problems, "messages", 990001)["channel"] == "portal"
    assert quarantined(seeded_problems, "dispatch_record", 990002)[0] == "unknown_channel"


def test_duplicate_link_pairs_are_merged(seeded_problems):
    assert migrated(seeded_problems, "case_messages", 990001)
    assert migrated(seeded_problems, "case_messages", 990002) == {}
    assert quarantined(seeded_problems, "dispatch_case_messages", 990002) is None
    assert migrated(seeded_problems, "doctor_offices", 990002) == {}
    assert quarantined(seeded_problems, "dispatch_doctor_offices", 990003)[0] == "orphan_doctor"


def test_offer_windows_and_orphan_doctors_are_quarantined_not_widened(seeded_problems):
    assert migrated(seeded_problems, "offers", 990001)["doctor_id"] is None
    assert quarantined(seeded_problems, "dispatch_offer", 990002)[0] == "inverted_validity_window"
    assert quarantined(seeded_problems, "dispatch_offer", 990003)[0] == "orphan_doctor"


def test_case_duplicate_discount_codes_merge_and_purchases_follow_the_survivor(seeded_problems):
    survivor = migrated(seeded_problems, "discounts", 990001)
    assert survivor["code"] == "SPRING" and survivor["merged_legacy_ids"] == [990002]
    assert migrated(seeded_problems, "discounts", 990002) == {}
    assert migrated(seeded_problems, "purchases", 990001)["discount_id"] == survivor["id"]


def test_payment_spellings_map_and_negative_amounts_are_quarantined(seeded_problems):
    payment = migrated(seeded_problems, "payments", 990001)
    assert (payment["method"], payment["status"], payment["currency"]) == ("card", "paid", "USD")
    assert quarantined(seeded_problems, "dispatch_payment", 990002)[0] == "negative_money"


def test_purchase_order_disagreeing_with_its_payment_is_reported(seeded_problems):
    assert "order_disagrees_with_payment" in issues(seeded_problems, "purchases", 990002)


def test_jaws_map_and_unknown_jaws_are_quarantined(seeded_problems):
    assert migrated(seeded_problems, "jaws", 990001)["jaw"] == "upper"
    assert quarantined(seeded_problems, "dispatch_jaw", 990002)[0] == "unknown_jaw"


def test_invalid_plan_json_is_quarantined_and_valid_plans_are_jsonb(seeded_problems):
    assert migrated(seeded_problems, "treatment_plans", 990001)["plan"] == {"stages": []}
    assert quarantined(seeded_problems, "dispatch_plan", 990002)[0] == "invalid_plan_json"


def test_repair_functions_parse_inside_a_parallel_query(seeded_problems):
    """util.try_jsonb and util.try_date catch errors in an exception block, which a parallel
    query cannot open: marked parallel safe, they returned NULL for valid input in part of the
    rows of every table the planner chose to read in parallel (at scale 1.0, 19,000 valid
    project milestones). Made to plan in parallel here, a table of valid values still parses."""
    with psycopg.connect(seeded_problems.conninfo(), autocommit=True) as conn:
        conn.execute(
            "create table staging.parallel_probe as select n, '{\"n\": ' || n || '}' as doc, "
            "'2020-01-' || lpad((n % 28 + 1)::text, 2, '0') as day from generate_series(1, 20000) as n"
        )
        try:
            conn.execute("analyze staging.parallel_probe")
            for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size"):
                conn.execute(f"set {setting} = 0")
            with conn.transaction(force_rollback=True):
                conn.execute(
                    "create temp table probed as select util.try_jsonb(doc) as doc, "
                    "util.try_date(day, 'YYYY-MM-DD') as day from staging.parallel_probe"
                )
                failed = conn.execute(
                    "select count(*) filter (where doc is null), count(*) filter (where day is null) from probed"
                ).fetchone()
        finally:
            conn.execute("drop table staging.parallel_probe")
    assert failed == (0, 0)


def test_comment_generic_reference_is_split_or_quarantined(seeded_problems):
    comment = migrated(seeded_problems, "comments", 990001)
    assert comment["task_id"] == migrated(seeded_problems, "tasks", 990001)["id"]
    assert comment["order_id"] is None and comment["is_removed"] is True
    assert quarantined(seeded_problems, "dispatch_comment", 990002)[0] == "unknown_content_type"
    assert quarantined(seeded_problems, "dispatch_comment", 990003)[0] == "reference_points_nowhere"


def test_out_of_range_rating_becomes_null_and_is_reported(seeded_problems):
    assert migrated(seeded_problems, "customer_feedback", 990001)["rating"] is None
    assert "rating_out_of_range" in issues(seeded_problems, "customer_feedback", 990001)


def test_case_history_out_of_order_is_reported(seeded_problems):
    assert "history_out_of_order" in issues(seeded_problems, "case_states", 990002)


# These run last: they rebuild, and the last one changes the legacy database.
def test_target_ids_are_stable_and_derived_from_the_legacy_key(seeded_problems, dbt_project):
    before = query(seeded_problems, "select legacy_id, id from app.profiles order by legacy_id")
    dbt_project.invoke(["build", "--select", "profiles", "--full-refresh"])
    after = query(seeded_problems, "select legacy_id, id from app.profiles order by legacy_id")
    assert before == after


def test_rerun_without_legacy_change_writes_no_row(seeded_problems, dbt_project):
    result = build(dbt_project)
    assert {model: rows_written(result, model) for model in ENTITIES} == dict.fromkeys(ENTITIES, 0)


def test_rerun_after_mutate_applies_inserts_updates_and_deletes(seeded_problems, dbt_project, admin):
    changes = mutate(admin, 0.05, SEED, round_=1)
    gone = "select count(*) from app.{0} where legacy_id not in (select id from legacy.{1})"
    assert query(seeded_problems, gone.format("tasks", "dispatch_task"))[0][0] > 0
    result = build(dbt_project)
    assert rows_written(result, "profiles") >= changes.inserted["auth_user"] + changes.updated["auth_user"]
    assert rows_written(result, "tasks") >= changes.updated["dispatch_task"] // 2
    for entity, table in (("profiles", "auth_user"), ("tasks", "dispatch_task"), ("files", "dispatch_file")):
        assert query(seeded_problems, gone.format(entity, table)) == [(0,)], entity
    assert all(unexplained == 0 for _, unexplained in reconciliation(seeded_problems).values())


def incremental_staging(dbt_project) -> list[str]:
    return sorted(
        node.name
        for node in dbt_project.manifest.nodes.values()
        if node.resource_type == "model" and node.fqn[1:4] == ["staging", "legacy", "incremental"]
    )


def staged_fingerprints(target, models: list[str]) -> dict[str, tuple[int, str]]:
    return {
        model: query(
            target,
            # staged_at says when a row was read, which differs between the two loads
            f"select count(*), md5(coalesce(string_agg((to_jsonb(s) - 'staged_at')::text, '|' "
            f"order by (to_jsonb(s) - 'staged_at')::text), '')) from staging.{model} as s",
        )[0]
        for model in models
    }


def test_a_full_pass_after_a_delta_finds_nothing_left_to_write(seeded_problems, dbt_project, admin):
    """A delta recomputes and compares only what changed since each model's last build
    (macros/change_tracking.sql). After a mutate round (inserts, updates, hard deletes whose
    children cascade) and an order quarantined by a later save, the delta has done everything: a
    pass comparing every row of every layer (var cutover_full_pass) writes no verdict and no row,
    and the order's tasks followed it into the quarantine. The quarantine tables, kept between
    runs too, hold exactly the rejected verdicts: an order repaired in legacy has left it; and
    the report of data-quality issues exactly the issues of the migrated verdicts."""
    mutate(admin, 0.05, SEED, round_=2)
    order = query(
        admin, "select min(order_id) from dispatch_task where order_id in (select id from dispatch_order)"
    )[0][0]
    query(admin, "update dispatch_order set status = 99, modified = now() where id = %s", (order,))
    assert quarantined(seeded_problems, "dispatch_order", 990003)[0] == "negative_money"
    query(admin, "update dispatch_order set total = 5, modified = now() where id = 990003")
    build(dbt_project)
    tasks = [row[0] for row in query(admin, "select id from dispatch_task where order_id = %s", (order,))]
    assert tasks and all(
        quarantined(seeded_problems, "dispatch_task", task)[0] == "orphan_order" for task in tasks
    )
    assert quarantined(seeded_problems, "dispatch_order", 990003) is None
    for entity in ENTITIES:
        columns = "legacy_id, reject_reason, original_values"
        verdicts = (
            f"select {columns} from intermediate.int_{entity}__validated where reject_reason is not null"
        )
        kept = f"select {columns} from quarantine.quarantine_{entity}"
        assert rows_differing(seeded_problems, kept, verdicts) == 0, entity
        reported = f"select legacy_id, issue_code from audit.data_quality_issues where entity = '{entity}'"
        issues = (
            f"select legacy_id, unnest(dq_issues) from intermediate.int_{entity}__validated "
            "where reject_reason is null"
        )
        assert rows_differing(seeded_problems, reported, issues) == 0, entity
    result = dbt_project.invoke(["build", "--vars", "{cutover_full_pass: true}"])
    assert result.success, [(n.name, n.message) for n in result.failed()] or result.error
    verdicts = [n.name for n in result.nodes if n.name.startswith("int_") and n.name.endswith("__validated")]
    assert len(verdicts) == len(ENTITIES)
    written = {model: rows_written(result, model) for model in (*ENTITIES, *verdicts)}
    assert {model: rows for model, rows in written.items() if rows} == {}


def test_incremental_staging_equals_a_full_read_of_the_legacy_tables(seeded_problems, dbt_project, admin):
    """After a load of only the rows saved since the last one (and the hard deletes), each
    incremental staging table holds exactly what a full read would: also a row saved with
    `modified` NULL, and a row the live application changed after the rounds of mutate."""
    task, order, plan = (
        query(admin, f"select min(id) from {table}")[0][0]
        for table in ("dispatch_task", "dispatch_order", "dispatch_plan")
    )
    query(
        admin,
        "update dispatch_task set notes = 'saved without modified', modified = null where id = %s",
        (task,),
    )
    query(admin, "update dispatch_order set notes = 'saved today', modified = now() where id = %s", (order,))
    query(admin, "delete from dispatch_plan where id = %s", (plan,))
    result = build(dbt_project, "stg_legacy__task", "stg_legacy__order", "stg_legacy__plan")
    # the changed rows and the look-back crossed the wire, not the table
    orders = query(admin, "select count(*) from dispatch_order")[0][0]
    assert 1 <= rows_written(result, "stg_legacy__order") < orders // 2
    models = incremental_staging(dbt_project)
    assert len(models) == 12
    incremental = staged_fingerprints(seeded_problems, models)
    assert query(
        seeded_problems, "select notes from staging.stg_legacy__task where legacy_id = %s", (task,)
    ) == [("saved without modified",)]
    assert query(
        seeded_problems, "select count(*) from staging.stg_legacy__plan where legacy_id = %s", (plan,)
    ) == [(0,)]
    dbt_project.invoke(["run", "--full-refresh", "--select", *models])
    assert staged_fingerprints(seeded_problems, models) == incremental


def test_compared_staging_writes_only_the_rows_that_differ_and_logs_the_ones_gone(
    seeded_problems, dbt_project, admin
):
    """The legacy tables without `modified` are read whole, but a load writes only the rows that
    are new or differ from the staged ones, stamped staged_at, and logs the rows gone (by legacy
    id, or by object key for the object store's listing), so that the verdicts read from them
    are recomputed for those alone. What is staged equals a full read."""
    comment = query(admin, "select min(id) from dispatch_comment")[0][0]
    attachment = query(admin, "select max(id) from dispatch_record_attachment")[0][0]
    key = query(admin, "select min(key) from storage_inventory")[0][0]
    query(admin, "update dispatch_comment set body = 'edited after the rehearsal' where id = %s", (comment,))
    query(admin, "delete from dispatch_record_attachment where id = %s", (attachment,))
    query(admin, "delete from storage_inventory where key = %s", (key,))
    models = sorted(
        node.name
        for node in dbt_project.manifest.nodes.values()
        if node.resource_type == "model" and node.fqn[1:4] == ["staging", "legacy", "compared"]
    )
    assert len(models) == 6
    began = query(seeded_problems, "select now()")[0][0]
    result = dbt_project.invoke(["run", "--select", *models])
    assert result.success, [(n.name, n.message) for n in result.failed()] or result.error
    assert {model: rows_written(result, model) for model in models if rows_written(result, model)} == {
        "stg_legacy__comment": 1
    }
    assert query(
        seeded_problems,
        "select body, staged_at >= %s from staging.stg_legacy__comment where legacy_id = %s",
        (began, comment),
    ) == [("edited after the rehearsal", True)]
    vanished = query(
        seeded_problems,
        "select model_name, legacy_id, legacy_key from intermediate.vanished_verdicts where vanished_at >= %s",
        (began,),
    )
    assert sorted(vanished, key=str) == sorted(
        [("stg_legacy__record_attachment", attachment, None), ("stg_legacy__storage_inventory", None, key)],
        key=str,
    )
    compared = staged_fingerprints(seeded_problems, models)
    dbt_project.invoke(["run", "--full-refresh", "--select", *models])
    assert staged_fingerprints(seeded_problems, models) == compared


def test_a_plan_document_is_parsed_again_only_when_its_text_changed(seeded_problems, dbt_project, admin):
    """The parsed documents are kept between runs: a build rewrites only the documents whose
    text changed (a row left alone keeps its xmin); one saved as invalid JSON is quarantined, a
    plan deleted in legacy loses its document."""
    migrated = {row[0] for row in query(seeded_problems, "select legacy_id from app.treatment_plans")}
    valid, broken, deleted = [
        row[0] for row in query(admin, "select id from dispatch_plan order by id") if row[0] in migrated
    ][:3]
    chain = (
        "stg_legacy__plan",
        "int_treatment_plan_documents",
        "int_treatment_plans__validated",
        "quarantine_treatment_plans",
        "treatment_plans",
    )
    build(dbt_project, *chain)  # what earlier tests changed in legacy is taken in first
    documents = "select legacy_id, xmin::text from intermediate.int_treatment_plan_documents"
    before = dict(query(seeded_problems, documents))
    query(
        admin,
        """update dispatch_plan set data = '{"stages": [], "edited": true}', modified = now() where id = %s""",
        (valid,),
    )
    query(
        admin, "update dispatch_plan set data = '{\"stages\": [', modified = now() where id = %s", (broken,)
    )
    query(admin, "delete from dispatch_plan where id = %s", (deleted,))
    build(dbt_project, *chain)
    assert query(seeded_problems, "select plan from app.treatment_plans where legacy_id = %s", (valid,)) == [
        ({"stages": [], "edited": True},)
    ]
    assert query(
        seeded_problems,
        "select reject_reason from quarantine.quarantine_treatment_plans where legacy_id = %s",
        (broken,),
    ) == [("invalid_plan_json",)]
    after = dict(query(seeded_problems, documents))
    assert {legacy_id for legacy_id in before if after.get(legacy_id) != before[legacy_id]} == {
        valid,
        broken,
        deleted,
    }
    assert deleted not in after and set(after) == set(before) - {deleted}
    stale = query(
        seeded_problems,
        "select count(*) from intermediate.int_treatment_plan_documents as d "
        "join staging.stg_legacy__plan as s using (legacy_id) where d.plan is distinct from util.try_jsonb(s.data)",
    )
    assert stale == [(0,)]


def test_deleting_the_survivor_of_duplicates_hands_the_natural_key_to_the_next(
    seeded_problems, dbt_project, admin
):
    """The first row of a duplicate link pair and of a case-duplicate discount code is hard
    deleted in legacy: the next row survives and takes over the pair or code (the vanished row
    leaves before the upsert writes its successor; found by the benchmark's delta cutover)."""
    survivors = {
        "dispatch_case_files": "select min(id) from dispatch_case_files group by case_id, file_id having count(*) > 1",
        "dispatch_case_messages": "select min(id) from dispatch_case_messages group by case_id, record_id having count(*) > 1",
        "dispatch_discount": "select min(id) from dispatch_discount group by upper(code) having count(*) > 1",
    }
    deleted = {}
    for table, survivor_sql in survivors.items():
        ids = [row[0] for row in query(admin, survivor_sql)]
        assert ids, table
        query(admin, f"delete from {table} where id = any(%s)", (ids,))
        deleted[table] = ids
    build(dbt_project)
    for entity, table in (
        ("case_files", "dispatch_case_files"),
        ("case_messages", "dispatch_case_messages"),
        ("discounts", "dispatch_discount"),
    ):
        left = query(
            seeded_problems, f"select count(*) from app.{entity} where legacy_id = any(%s)", (deleted[table],)
        )
        assert left == [(0,)], entity
    assert all(unexplained == 0 for _, unexplained in reconciliation(seeded_problems).values())


def test_duplicate_order_numbers_are_judged_again_when_another_order_of_the_number_changes(
    seeded_problems, dbt_project, admin
):
    """A delta recomputes only the orders that changed, and with them every order of a number a
    changed or gone order has or had: the later order of a pair is reported as a duplicate, and
    no longer once the earlier one takes another number or is deleted, though the later one's
    own legacy row never changes."""
    first, later = (
        row[0]
        for row in query(
            seeded_problems,
            "select legacy_id from intermediate.int_orders__validated "
            "where reject_reason is null and cardinality(dq_issues) = 0 order by legacy_id limit 2",
        )
    )
    number = query(admin, "select order_no from dispatch_order where id = %s", (later,))[0][0]

    def later_is_duplicate() -> bool:
        rows = query(
            seeded_problems,
            "select 'duplicate_order_number' = any(dq_issues) from intermediate.int_orders__validated "
            "where legacy_id = %s",
            (later,),
        )
        return rows[0][0]

    def first_becomes(statement: str, *params) -> None:
        query(admin, statement, (*params, first))
        build(dbt_project, "stg_legacy__order", "int_orders__validated")

    saved = (
        "update dispatch_order set order_no = %s, modified = now() + %s * interval '1 minute' where id = %s"
    )
    first_becomes(saved, number, 1)
    assert later_is_duplicate()
    first_becomes(saved, "ORD-ELSEWHERE", 2)
    assert not later_is_duplicate()
    first_becomes(saved, number, 3)
    assert later_is_duplicate()
    first_becomes("delete from dispatch_order where id = %s")
    assert not later_is_duplicate()
    build(dbt_project)
    assert all(unexplained == 0 for _, unexplained in reconciliation(seeded_problems).values())
