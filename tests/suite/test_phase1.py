"""The phase-1 slice (offices, categories, profiles): build, rules, quarantine, incremental."""

from __future__ import annotations

import json

import pytest
from support import SEED, query

from runner.config import target_endpoint
from runner.legacy.generator import mutate

PHASE_1 = ("offices", "categories", "profiles")


def build(dbt_project, *select: str):
    command = ["build"] + (["--select", *select] if select else [])
    result = dbt_project.invoke(command)
    assert result.success, [(n.name, n.message) for n in result.failed()] or result.error
    return result


def rows_written(result, model: str) -> int:
    return next(n.rows_affected for n in result.nodes if n.name == model)


def reconciliation(target):
    return {
        (entity, table): (legacy, unexplained)
        for entity, table, legacy, unexplained in query(
            target, "select entity, legacy_table, legacy_rows, unexplained_rows from audit.reconciliation"
        )
    }


def test_build_select_plus_profiles_builds_profiles_and_its_parents_only(fresh_legacy, dbt_project):
    result = build(dbt_project, "+profiles")
    models = {n.name for n in result.nodes if n.resource_type == "model"}
    assert "profiles" in models
    assert not models & {"offices", "categories", "reconciliation"}
    tests = [n for n in result.nodes if n.resource_type == "test"]
    assert any(n.name == "profiles_reconcile_with_auth_user" for n in tests)
    assert not any("offices" in n.name and "stg_legacy" not in n.name for n in tests)


def test_whole_build_reconciles_exactly(fresh_legacy, dbt_project):
    build(dbt_project)
    target = target_endpoint()
    counts = reconciliation(target)
    assert {entity for entity, _ in counts} == set(PHASE_1)
    assert all(legacy > 0 and unexplained == 0 for legacy, unexplained in counts.values())


@pytest.fixture(scope="module")
def seeded_problems(admin, reader_role, dbt_project):
    """A fresh legacy database plus one legacy row for each phase-1 data problem, built once."""
    from runner.legacy.generator import generate

    generate(admin, 0.01, SEED, reader_role=reader_role)
    query(
        admin,
        """
        insert into dispatch_office (id, name, country, email, is_active, created, modified) values
            (990001, 'Gap Dental', ' USA ', ' Front@Gap.Example ', true,
             '2021-03-14 02:30', '2021-11-07 01:30'),
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
        """,
    )
    build(dbt_project)
    return target_endpoint()


def profile(target, legacy_id: int) -> dict:
    rows = query(target, "select to_jsonb(p) from app.profiles as p where legacy_id = %s", (legacy_id,))
    return rows[0][0] if rows else {}


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


def test_target_ids_are_stable_and_derived_from_the_legacy_key(seeded_problems, dbt_project):
    before = query(seeded_problems, "select legacy_id, id from app.profiles order by legacy_id")
    dbt_project.invoke(["build", "--select", "profiles", "--full-refresh"])
    after = query(seeded_problems, "select legacy_id, id from app.profiles order by legacy_id")
    assert before == after


def test_rerun_without_legacy_change_writes_no_row(seeded_problems, dbt_project):
    result = build(dbt_project)
    assert all(rows_written(result, model) == 0 for model in PHASE_1)


def test_rerun_after_mutate_applies_inserts_updates_and_deletes(seeded_problems, dbt_project, admin):
    changes = mutate(admin, 0.05, SEED, round_=1)
    deleted_users = query(
        seeded_problems,
        "select count(*) from app.profiles where legacy_id not in (select id from legacy.auth_user)",
    )[0][0]
    assert deleted_users == changes.deleted["auth_user"] > 0
    result = build(dbt_project)
    assert rows_written(result, "profiles") >= changes.inserted["auth_user"] + changes.updated["auth_user"]
    assert query(
        seeded_problems,
        "select count(*) from app.profiles where legacy_id not in (select id from legacy.auth_user)",
    ) == [(0,)]
    assert all(unexplained == 0 for _, unexplained in reconciliation(seeded_problems).values())
