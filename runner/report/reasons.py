"""The reasons rows are quarantined or migrated with an issue, in plain words
(seeds/quarantine_reasons.csv), and where the target keeps each entity's relations."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from runner.config import PROJECT_DIR

# per entity and legacy table: its quarantine and staging relations (macros/reconciliation.sql)
REGISTRY = "intermediate.entity_legacy_tables"


@dataclass(frozen=True)
class Rule:
    code: str
    rule: str
    columns: tuple[str, ...]
    personal: bool


@cache
def rules() -> dict[str, Rule]:
    """seeds/quarantine_reasons.csv: every reason and issue code with its rule in plain words."""
    with (PROJECT_DIR / "seeds" / "quarantine_reasons.csv").open(newline="") as f:
        return {
            row["code"]: Rule(
                row["code"],
                row["rule"],
                tuple(c for c in row["legacy_columns"].split(";") if c),
                row["personal_data"] == "true",
            )
            for row in csv.DictReader(f)
        }


def rule_of(code: str) -> Rule:
    return rules().get(code) or Rule(code, "(not described in seeds/quarantine_reasons.csv)", (), True)
