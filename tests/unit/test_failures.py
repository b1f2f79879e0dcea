"""How a failure is classed from the profile's error_classes, and the retry backoff strategy."""

from __future__ import annotations

import pytest

from runner.failures import backoff, class_of_reason, class_of_test, class_of_transient
from runner.settings import ErrorClasses


@pytest.mark.parametrize(
    ("classes", "name", "severity", "expected"),
    [
        ({}, "unique_orders_order_id", "error", "critical"),
        ({}, "accepted_values_x", "warn", "warning"),
        ({"minor": ["test:unique_orders_*"]}, "unique_orders_order_id", "error", "minor"),
        # a name beats a severity, an exact name beats a wildcard
        (
            {"critical": ["test:*"], "warning": ["test:unique_orders_order_id"]},
            "unique_orders_order_id",
            "error",
            "warning",
        ),
        ({"critical": ["severity:warn"]}, "accepted_values_x", "warn", "critical"),
    ],
)
def test_a_failed_test_is_classed_by_name_then_severity(classes, name, severity, expected):
    assert class_of_test(ErrorClasses.model_validate(classes), name, severity) == expected


def test_reasons_and_transient_errors_are_classed():
    default = ErrorClasses()
    assert class_of_reason(default, "orphan_patient") == "minor"
    strict = ErrorClasses.model_validate(
        {"critical": ["reason:orphan_*"], "warning": ["reason:orphan_doctor"]}
    )
    assert class_of_reason(strict, "orphan_patient") == "critical"
    assert class_of_reason(strict, "orphan_doctor") == "warning"
    assert class_of_transient(default) == "major"
    # placing transient in critical alone takes it out of the default major
    assert class_of_transient(ErrorClasses.model_validate({"critical": ["transient"]})) == "critical"


def test_backoff_is_linear_or_exponential():
    assert [backoff(2.0, n, "linear") for n in (1, 2, 3, 4)] == [2.0, 4.0, 6.0, 8.0]
    assert [backoff(2.0, n, "exponential") for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
