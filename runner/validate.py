"""The validation framework on its own (`cutover validate`): pre-validation (connectivity,
dependencies, free disk space), per-entity validation (counts, integrity, quality, business
rules) and post-validation (every legacy id the last extraction read accounted for, audit
completeness)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import psycopg

from runner import contracts, values
from runner.audit import AuditStore
from runner.config import PROJECT_DIR, legacy_reader_endpoint, target_endpoint
from runner.dbt import DbtProject
from runner.errors import CutoverError
from runner.gate import LEVEL_EXCLUDES, NOT_VALIDATION, check_type
from runner.performance import performance_checks
from runner.plan import entities_from_manifest
from runner.reconciliation import reconcile
from runner.settings import EnvironmentProfile


@dataclass
class Check:
    stage: str  # pre | entity | post
    subject: str
    name: str
    status: str  # passed | failed | warning
    detail: str


# Long: one check after another (servers, wrapper, grants, project), each a few lines.
def pre_validation(project: DbtProject) -> list[Check]:
    checks = []
    for what, endpoint in (("legacy", legacy_reader_endpoint()), ("target", target_endpoint())):
        try:
            with psycopg.connect(endpoint.conninfo(connect_timeout="5")) as conn:
                version = conn.execute("show server_version").fetchone()[0]
            checks.append(
                Check("pre", what, "connectivity", "passed", f"PostgreSQL {version} at {endpoint.display()}")
            )
        except psycopg.OperationalError as exc:
            from runner.errors import connection_reason

            checks.append(Check("pre", what, "connectivity", "failed", connection_reason(exc)))
    if any(c.status == "failed" for c in checks):
        return checks
    specs = entities_from_manifest(project.manifest)
    with psycopg.connect(target_endpoint().conninfo()) as conn:
        existing = {
            row[0]
            for row in conn.execute(
                "select table_name from information_schema.tables where table_schema = 'app'"
            )
        }
        fdw = conn.execute("select 1 from pg_extension where extname = 'postgres_fdw'").fetchone()
    checks.append(
        Check(
            "pre",
            "target",
            "postgres_fdw",
            "passed" if fdw else "failed",
            "extension installed" if fdw else "a superuser must run: create extension postgres_fdw",
        )
    )
    for name, spec in specs.items():
        missing = sorted(p for p in spec.dependencies if p not in existing)
        checks.append(
            Check(
                "pre",
                name,
                "dependencies",
                "passed" if not missing else "warning",
                "parents migrated" if not missing else f"not migrated yet: {', '.join(missing)}",
            )
        )
    with psycopg.connect(legacy_reader_endpoint().conninfo()) as conn:
        legacy_bytes = conn.execute("select pg_database_size(current_database())").fetchone()[0]
    endpoint = target_endpoint()
    if endpoint.host in ("127.0.0.1", "localhost", "::1"):
        free = shutil.disk_usage(PROJECT_DIR).free
        needed = 3 * legacy_bytes  # staging copy, target tables and their indexes
        checks.append(
            Check(
                "pre",
                "target",
                "free disk space",
                "passed" if free > needed else "failed",
                f"{free / 2**30:.1f} GiB free, {needed / 2**30:.1f} GiB needed (3x legacy size)",
            )
        )
    else:
        checks.append(
            Check(
                "pre",
                "target",
                "free disk space",
                "warning",
                f"remote server: check that {3 * legacy_bytes / 2**30:.1f} GiB are free",
            )
        )
    return checks


def entity_validation(project: DbtProject, level: str, entities: list[str] | None = None) -> list[Check]:
    """The tests of the level, and the contracts of the entities: of every one, or of these and
    everything they read (as their named selection does; dbt ignores --exclude beside
    --selector, so the selection is given as the entities with their parents)."""
    command = ["test", *(["--select", *(f"+{e}" for e in entities)] if entities else [])]
    command += ["--exclude", *LEVEL_EXCLUDES[level], *NOT_VALIDATION]
    result = project.invoke(command + ["--vars", '{"cutover_setup": false}'])
    if result.error and not result.nodes:
        raise CutoverError(f"The validation could not run: {result.error}")
    checks = []
    nodes = project.manifest.nodes
    for test in (n for n in result.nodes if n.resource_type == "test"):
        parents = [nodes[p].name for p in nodes[test.unique_id].depends_on.nodes if p in nodes]
        status = {"pass": "passed", "warn": "warning"}.get(test.status, "failed")
        checks.append(
            Check(
                "entity",
                ", ".join(sorted(parents)[:2]),
                f"{check_type(test.name)}: {test.name}",
                status,
                test.message or "",
            )
        )
    checks += contract_checks(project, entities)
    if level == "comprehensive":
        checks += value_checks(project, entities)
    return checks


def value_checks(project: DbtProject, entities: list[str] | None = None) -> list[Check]:
    """The columns each built entity's yml declares copied from legacy, against legacy itself."""
    specs = entities_from_manifest(project.manifest)
    checks = []
    with psycopg.connect(target_endpoint().conninfo()) as conn:
        for name in entities or list(specs):
            if conn.execute("select to_regclass(%s)", (f"app.{name}",)).fetchone()[0] is None:
                continue
            copied, mismatches = values.check_entity(
                conn, project.manifest, name, specs[name].legacy_tables[0]
            )
            if copied:
                checks.append(
                    Check(
                        "entity",
                        name,
                        "integrity: copied values",
                        "failed" if mismatches else "passed",
                        "; ".join(m.summary() for m in mismatches)
                        or f"{copied} columns copied from legacy equal it on every row",
                    )
                )
    return checks


def contract_checks(project: DbtProject, entities: list[str] | None = None) -> list[Check]:
    """The constraints each built target entity's contract declares, present and validated."""
    checks = []
    with psycopg.connect(target_endpoint().conninfo()) as conn:
        for name in sorted(entities or entities_from_manifest(project.manifest)):
            relation = f"app.{name}"
            if conn.execute("select to_regclass(%s)", (relation,)).fetchone()[0] is None:
                continue
            declared = contracts.declared(project.manifest.nodes[f"model.cutover.{name}"])
            lapsed = contracts.gaps(conn, relation, declared)
            checks.append(
                Check(
                    "entity",
                    name,
                    "integrity: contract constraints",
                    "failed" if lapsed else "passed",
                    "; ".join(lapsed) or f"{len(declared)} declared constraints in force",
                )
            )
    return checks


def post_validation(
    store: AuditStore, entities: list[str] | None = None, profile: EnvironmentProfile | None = None
) -> list[Check]:
    checks = []
    proofs = [p for p in reconcile(store.conn) if entities is None or p.entity in entities]
    if not proofs or all(pair.legacy_rows is None for pair in proofs):
        checks.append(Check("post", "all entities", "reconciliation by id", "warning", "no full run yet"))
    else:
        for pair in proofs:
            if not pair.proved:
                status = "warning" if pair.legacy_rows is None else "failed"
                checks.append(Check("post", pair.entity, "reconciliation by id", status, pair.summary()))
        proved = [pair for pair in proofs if pair.proved]
        checks.append(
            Check(
                "post",
                "all entities",
                "reconciliation by id",
                "failed" if any(c.status == "failed" for c in checks) else "passed",
                f"{len(proved)} of {len(proofs)} entity/table pairs account for every legacy id "
                f"their last extraction read ({sum(p.legacy_rows or 0 for p in proved):,} ids)",
            )
        )
    execution = store.execution() if store.has_schema() else None
    if execution is None:
        checks.append(Check("post", "audit trail", "completeness", "warning", "no execution recorded"))
        return checks
    incomplete = store.rows(
        """
        select r.entity from cutover_audit.entity_runs as r
        where r.execution_id = %s and r.status = 'completed' and (
            select count(distinct a.action) from cutover_audit.audit_entries as a
            where a.execution_id = r.execution_id and a.entity = r.entity
                and a.action in ('start', 'validate', 'complete')
        ) < 3
        """,
        (execution["id"],),
    )
    if profile is not None:
        checks += [
            Check("post", c.subject, f"performance: {c.name}", c.status, c.detail)
            for c in performance_checks(store, str(execution["id"]), profile)
        ]
    checks.append(
        Check(
            "post",
            "audit trail",
            "completeness",
            "passed" if not incomplete else "failed",
            f"execution {execution['id']}: "
            + (
                "every completed entity has start, validate and complete entries"
                if not incomplete
                else f"missing entries for {', '.join(r['entity'] for r in incomplete)}"
            ),
        )
    )
    return checks
