"""The data problems of shared/LEGACY_SOURCE.md, as the generator makes them.

Each entry is documentation (README, `cutover legacy problems`) and a check at once: its
query counts the rows that carry the problem in a legacy database. Rates are of the table's
rows at scale 1.0; at any scale at least one row carries each problem.
"""

from __future__ import annotations

from dataclasses import dataclass

from cutover_dev.legacy.tables import TABLES


@dataclass(frozen=True)
class DataProblem:
    table: str
    code: str
    rate: str
    description: str
    count_sql: str


def _orphan(table: str, column: str, parent: str, rate: str) -> DataProblem:
    return DataProblem(
        table,
        f"orphan_{column}",
        rate,
        f"{column} points to no {parent} row",
        f"select count(*) from {table} as c where c.{column} is not null "
        f"and not exists (select 1 from {parent} as p where p.id = c.{column})",
    )


def _sparse_ids(table: str, first_id: int, rate: str) -> DataProblem:
    return DataProblem(
        table,
        "sparse_ids",
        rate,
        f"the sequence was moved by hand after an import: the last rows have ids from {first_id:,}",
        f"select count(*) from {table} where id >= {first_id}",
    )


# The tables with Django's `modified` (auto_now): its quirks (shared/LEGACY_SOURCE.md).
MODIFIED_TABLES = (
    "dispatch_office",
    "dispatch_userprofile",
    "dispatch_doctor",
    "dispatch_patient",
    "dispatch_order",
    "dispatch_product",
    "dispatch_task",
    "dispatch_case",
    "dispatch_jaw",
    "dispatch_plan",
    "dispatch_project",
    "dispatch_doctornote",
)

MODIFIED_PROBLEMS: tuple[DataProblem, ...] = tuple(
    problem
    for table in MODIFIED_TABLES
    for problem in (
        DataProblem(
            table,
            "modified_in_future",
            "0.05% (2090 to 2099; one row 2999-12-31)",
            "modified later than now: an application server's clock was wrong",
            f"select count(*) from {table} where modified > localtimestamp",
        ),
        DataProblem(
            table,
            "missing_modified",
            "0.05%",
            "modified NULL: imported without one",
            f"select count(*) from {table} where modified is null",
        ),
    )
)

PROBLEMS: tuple[DataProblem, ...] = (
    DataProblem(
        "dispatch_office",
        "country_variants",
        "15% (US, us, USA, United States, NULL)",
        "country spelled several ways, or missing",
        "select count(distinct coalesce(country, '<null>')) - 1 from dispatch_office "
        "where country is distinct from 'US'",
    ),
    DataProblem(
        "dispatch_office",
        "unknown_country",
        "1%",
        "a country no mapping knows",
        "select count(*) from dispatch_office where country = 'Atlantis'",
    ),
    DataProblem(
        "dispatch_office",
        "invalid_email",
        "2%",
        "email without an @",
        "select count(*) from dispatch_office where email not like '%@%'",
    ),
    DataProblem(
        "dispatch_office",
        "free_format_phone",
        "all rows",
        "phone in six formats",
        "select count(distinct regexp_replace(phone, '[0-9]', '9', 'g')) - 1 from dispatch_office",
    ),
    DataProblem(
        "dispatch_office",
        "dst_gap_timestamp",
        "0.05% of every timestamp",
        "a local time that does not exist in America/Chicago (spring forward)",
        "select count(*) from dispatch_office where created::time >= '02:00' "
        "and created::time < '03:00' and created::date in ('2019-03-10', '2020-03-08', "
        "'2021-03-14', '2022-03-13', '2023-03-12')",
    ),
    DataProblem(
        "dispatch_office",
        "dst_overlap_timestamp",
        "0.05% of every timestamp",
        "a local time that happens twice in America/Chicago (fall back)",
        "select count(*) from dispatch_office where created::time >= '01:00' "
        "and created::time < '02:00' and created::date in ('2019-11-03', '2020-11-01', "
        "'2021-11-07', '2022-11-06', '2023-11-05')",
    ),
    _orphan("dispatch_category", "parent_id", "dispatch_category", "3%"),
    DataProblem(
        "auth_user",
        "email_mixed_case",
        "10%",
        "email with upper-case letters",
        "select count(*) from auth_user where email <> lower(email)",
    ),
    DataProblem(
        "auth_user",
        "email_stray_spaces",
        "5%",
        "email with leading or trailing spaces",
        "select count(*) from auth_user where email <> trim(email)",
    ),
    DataProblem(
        "auth_user", "email_empty", "3%", "email is ''", "select count(*) from auth_user where email = ''"
    ),
    DataProblem(
        "auth_user",
        "email_case_duplicate",
        "1%",
        "email equal to another user's but for case",
        "select count(*) from (select lower(trim(email)) from auth_user where email <> '' "
        "group by 1 having count(*) > 1) as d",
    ),
    DataProblem(
        "auth_user",
        "invalid_email",
        "1%",
        "email without an @",
        "select count(*) from auth_user where email <> '' and email not like '%@%'",
    ),
    DataProblem(
        "dispatch_userprofile",
        "missing_profile",
        "1% of users",
        "a user without a profile row",
        "select count(*) from auth_user as u where not exists "
        "(select 1 from dispatch_userprofile as p where p.user_id = u.id)",
    ),
    DataProblem(
        "dispatch_userprofile",
        "role_variants",
        "all rows",
        "role spelled seven ways (doctor, Doctor, technician, tech, admin, staff, support)",
        "select count(distinct role) - 1 from dispatch_userprofile",
    ),
    DataProblem(
        "dispatch_userprofile",
        "settings_empty",
        "3%",
        "settings is ''",
        "select count(*) from dispatch_userprofile where settings = ''",
    ),
    DataProblem(
        "dispatch_userprofile",
        "settings_invalid_json",
        "1%",
        "settings is not JSON",
        "select count(*) from dispatch_userprofile where settings like '{theme: %'",
    ),
    _orphan("dispatch_userprofile", "office_id", "dispatch_office", "0.5%"),
    _orphan("dispatch_doctor", "user_id", "auth_user", "0.3%"),
    _orphan("dispatch_doctor", "office_id", "dispatch_office", "0.3%"),
    DataProblem(
        "dispatch_doctor",
        "title_variants",
        "all rows",
        "title Dr., DDS, DMD or ''",
        "select count(*) from dispatch_doctor where title = ''",
    ),
    DataProblem(
        "dispatch_doctor",
        "soft_deleted",
        "3%",
        "is_deleted rows (migrated, marked)",
        "select count(*) from dispatch_doctor where is_deleted",
    ),
    DataProblem(
        "dispatch_doctor_offices",
        "duplicate_pair",
        "5%",
        "the same doctor-office pair twice",
        "select count(*) - count(distinct (doctor_id, office_id)) from dispatch_doctor_offices",
    ),
    _orphan("dispatch_doctor_offices", "doctor_id", "dispatch_doctor", "0.5%"),
    _orphan("dispatch_patient", "doctor_id", "dispatch_doctor", "0.3%"),
    _orphan("dispatch_patient", "office_id", "dispatch_office", "0.2%"),
    DataProblem(
        "dispatch_patient",
        "birth_date_us_format",
        "35%",
        "birth_date as MM/DD/YYYY",
        "select count(*) from dispatch_patient where birth_date like '__/__/____'",
    ),
    DataProblem(
        "dispatch_patient",
        "birth_date_empty",
        "4%",
        "birth_date is ''",
        "select count(*) from dispatch_patient where birth_date = ''",
    ),
    DataProblem(
        "dispatch_patient",
        "birth_date_impossible",
        "1%",
        "birth_date that is no calendar date (1985-02-30, 1985-13-01)",
        "select count(*) from dispatch_patient where birth_date ~ '-(02-3[01]|04-31|13-01)$'",
    ),
    DataProblem(
        "dispatch_patient",
        "sex_variants",
        "all rows",
        "sex M, F, m, f, U, '' or NULL",
        "select count(*) from dispatch_patient where sex is null or sex not in ('M', 'F')",
    ),
    DataProblem(
        "dispatch_patient",
        "soft_deleted",
        "2%",
        "is_deleted rows (migrated, marked)",
        "select count(*) from dispatch_patient where is_deleted",
    ),
    DataProblem(
        "dispatch_order",
        "duplicate_order_no",
        "0.1%",
        "order_no used twice",
        "select count(*) - count(distinct order_no) from dispatch_order",
    ),
    _orphan("dispatch_order", "patient_id", "dispatch_patient", "0.2%"),
    DataProblem(
        "dispatch_order",
        "unknown_status",
        "0.2%",
        "status 0 or 99",
        "select count(*) from dispatch_order where status in (0, 99)",
    ),
    DataProblem(
        "dispatch_order",
        "float_artefacts",
        "most rows",
        "total with binary floating-point artefacts (0.07000000000000001)",
        "select count(*) from dispatch_order where total::text ~ '[.][0-9]{3,}'",
    ),
    DataProblem(
        "dispatch_order",
        "negative_total",
        "0.2%",
        "total below zero",
        "select count(*) from dispatch_order where total < 0",
    ),
    DataProblem(
        "dispatch_order",
        "currency_variants",
        "20%",
        "currency usd or NULL",
        "select count(*) from dispatch_order where currency is distinct from 'USD'",
    ),
    _orphan("dispatch_product", "order_id", "dispatch_order", "0.2%"),
    _orphan("dispatch_product", "category_id", "dispatch_category", "0.2%"),
    DataProblem(
        "dispatch_product",
        "negative_price",
        "0.1%",
        "unit_price_cents below zero",
        "select count(*) from dispatch_product where unit_price_cents < 0",
    ),
    DataProblem(
        "dispatch_product",
        "unknown_status",
        "0.1%",
        "status no mapping knows",
        "select count(*) from dispatch_product where status = 'zz?'",
    ),
    _orphan("dispatch_task", "order_id", "dispatch_order", "0.1%"),
    DataProblem(
        "dispatch_task",
        "patient_disagrees_with_order",
        "1%",
        "patient_id differs from the order's patient_id",
        "select count(*) from dispatch_task as t join dispatch_order as o on o.id = t.order_id "
        "where t.patient_id <> o.patient_id",
    ),
    DataProblem(
        "dispatch_task",
        "status_variants",
        "all rows",
        "status as free text (Done, done , DONE, completed, In-Progress, canceled, ...)",
        "select count(distinct status) - 5 from dispatch_task",
    ),
    DataProblem(
        "dispatch_task",
        "unknown_status",
        "0.1%",
        "status no mapping knows",
        "select count(*) from dispatch_task where status in ('blocked?', 'n/a', 'TODO!')",
    ),
    _orphan("dispatch_task", "assignee_id", "auth_user", "0.2%"),
    _orphan("dispatch_case", "patient_id", "dispatch_patient", "0.2%"),
    DataProblem(
        "dispatch_case",
        "unknown_state",
        "0.1%",
        "state no mapping knows",
        "select count(*) from dispatch_case where state = 'limbo'",
    ),
    DataProblem(
        "dispatch_case",
        "soft_deleted",
        "2%",
        "is_deleted rows (migrated, marked)",
        "select count(*) from dispatch_case where is_deleted",
    ),
    _orphan("dispatch_casestate", "case_id", "dispatch_case", "0.3%"),
    _orphan("dispatch_casestate", "changed_by_id", "auth_user", "0.2%"),
    DataProblem(
        "dispatch_casestate",
        "history_out_of_order",
        "0.2%",
        "a state change dated before the previous change of its case",
        "select count(*) from (select changed_at < lag(changed_at) over (partition by case_id "
        "order by id) as back from dispatch_casestate) as s where back",
    ),
    _orphan("dispatch_record", "patient_id", "dispatch_patient", "0.2%"),
    _orphan("dispatch_record", "author_id", "auth_user", "0.2%"),
    DataProblem(
        "dispatch_record",
        "channel_variants",
        "20%",
        "channel PORTAL beside portal",
        "select count(*) from dispatch_record where channel = 'PORTAL'",
    ),
    DataProblem(
        "dispatch_record",
        "unknown_channel",
        "0.1%",
        "channel no mapping knows",
        "select count(*) from dispatch_record where channel = 'fax'",
    ),
    _orphan("dispatch_case_messages", "case_id", "dispatch_case", "0.3%"),
    _orphan("dispatch_case_messages", "record_id", "dispatch_record", "0.3%"),
    DataProblem(
        "dispatch_case_messages",
        "duplicate_pair",
        "1%",
        "the same case-message pair twice",
        "select count(*) - count(distinct (case_id, record_id)) from dispatch_case_messages",
    ),
    _orphan("dispatch_case_files", "case_id", "dispatch_case", "0.3%"),
    _orphan("dispatch_case_files", "file_id", "dispatch_file", "0.3%"),
    DataProblem(
        "dispatch_case_files",
        "duplicate_pair",
        "1%",
        "the same case-file pair twice",
        "select count(*) - count(distinct (case_id, file_id)) from dispatch_case_files",
    ),
    DataProblem(
        "dispatch_file",
        "no_owner",
        "0.2%",
        "neither order_id nor case_id",
        "select count(*) from dispatch_file where order_id is null and case_id is null",
    ),
    DataProblem(
        "dispatch_file",
        "two_owners",
        "0.2%",
        "both order_id and case_id",
        "select count(*) from dispatch_file where order_id is not null and case_id is not null",
    ),
    _orphan("dispatch_file", "order_id", "dispatch_order", "0.2%"),
    DataProblem(
        "dispatch_file",
        "path_leading_slash",
        "2%",
        "object key with a leading /",
        "select count(*) from dispatch_file where path like '/%'",
    ),
    DataProblem(
        "dispatch_file",
        "path_backslashes",
        "1%",
        "object key with backslashes",
        "select count(*) from dispatch_file where strpos(path, chr(92)) > 0",
    ),
    DataProblem(
        "dispatch_file",
        "negative_size",
        "0.3%",
        "size_bytes below zero",
        "select count(*) from dispatch_file where size_bytes < 0",
    ),
    DataProblem(
        "storage_inventory",
        "missing_object",
        "0.5% of files",
        "a file with no stored object",
        "select count(*) from dispatch_file as f where not exists (select 1 from "
        "storage_inventory as s where s.key = ltrim(replace(f.path, chr(92), '/'), '/'))",
    ),
    DataProblem(
        "storage_inventory",
        "size_mismatch",
        "0.5% of files",
        "an object whose size differs from the file row",
        "select count(*) from dispatch_file as f join storage_inventory as s "
        "on s.key = ltrim(replace(f.path, chr(92), '/'), '/') "
        "where s.size_bytes <> abs(coalesce(f.size_bytes, 0))",
    ),
    _orphan("dispatch_record_attachment", "record_id", "dispatch_record", "0.3%"),
    DataProblem(
        "dispatch_record_attachment",
        "negative_size",
        "0.2%",
        "size_bytes below zero",
        "select count(*) from dispatch_record_attachment where size_bytes < 0",
    ),
    _orphan("dispatch_offer", "doctor_id", "dispatch_doctor", "0.5%"),
    DataProblem(
        "dispatch_offer",
        "window_inverted",
        "2%",
        "valid_to before valid_from",
        "select count(*) from dispatch_offer where valid_to < valid_from",
    ),
    _orphan("dispatch_discount", "offer_id", "dispatch_offer", "1%"),
    DataProblem(
        "dispatch_discount",
        "code_case_duplicate",
        "3%",
        "code equal to another's but for case",
        "select count(*) - count(distinct lower(code)) from dispatch_discount",
    ),
    _orphan("dispatch_payment", "order_id", "dispatch_order", "0.3%"),
    _orphan("dispatch_payment", "payer_id", "auth_user", "0.2%"),
    DataProblem(
        "dispatch_payment",
        "negative_amount",
        "0.3%",
        "amount below zero",
        "select count(*) from dispatch_payment where amount < 0",
    ),
    DataProblem(
        "dispatch_payment",
        "method_variants",
        "all rows",
        "method card, CC, credit_card, check, wire, ach",
        "select count(distinct method) - 4 from dispatch_payment",
    ),
    DataProblem(
        "dispatch_payment",
        "unknown_status",
        "0.1%",
        "status no mapping knows",
        "select count(*) from dispatch_payment where status = 'chargeback?'",
    ),
    _orphan("dispatch_purchase", "payment_id", "dispatch_payment", "0.3%"),
    DataProblem(
        "dispatch_purchase",
        "order_disagrees_with_payment",
        "0.5%",
        "order_id differs from its payment's order_id",
        "select count(*) from dispatch_purchase as q join dispatch_payment as p "
        "on p.id = q.payment_id where q.order_id <> p.order_id",
    ),
    _orphan("dispatch_jaw", "patient_id", "dispatch_patient", "0.2%"),
    DataProblem(
        "dispatch_jaw",
        "jaw_variants",
        "all rows",
        "jaw upper, lower, U, L, UPPER, Lower",
        "select count(distinct jaw) - 2 from dispatch_jaw",
    ),
    DataProblem(
        "dispatch_jaw",
        "unknown_jaw",
        "0.1%",
        "jaw no mapping knows",
        "select count(*) from dispatch_jaw where jaw = 'both'",
    ),
    DataProblem(
        "dispatch_jaw",
        "invalid_json",
        "0.5%",
        "teeth is not JSON",
        "select count(*) from dispatch_jaw where teeth not like '%]'",
    ),
    _orphan("dispatch_plan", "patient_id", "dispatch_patient", "0.2%"),
    DataProblem(
        "dispatch_plan",
        "invalid_json",
        "0.5%",
        "data is truncated JSON",
        "select count(*) from dispatch_plan where data <> '' and data not like '%}'",
    ),
    DataProblem(
        "dispatch_plan",
        "empty_json",
        "0.5%",
        "data is ''",
        "select count(*) from dispatch_plan where data = ''",
    ),
    DataProblem(
        "dispatch_plan",
        "large_documents",
        "all rows",
        "data of 1 to 20 KB",
        "select count(*) from dispatch_plan where length(data) > 10000",
    ),
    _orphan("dispatch_project", "order_id", "dispatch_order", "0.2%"),
    _orphan("dispatch_project", "technician_id", "auth_user", "0.2%"),
    DataProblem(
        "dispatch_project",
        "invalid_json",
        "0.3%",
        "milestones is not JSON",
        "select count(*) from dispatch_project where milestones not like '%]'",
    ),
    DataProblem(
        "dispatch_project",
        "unknown_status",
        "0.1%",
        "status no mapping knows",
        "select count(*) from dispatch_project where status = 'paused???'",
    ),
    _orphan("dispatch_doctornote", "doctor_id", "dispatch_doctor", "0.2%"),
    _orphan("dispatch_doctornote", "patient_id", "dispatch_patient", "0.2%"),
    DataProblem(
        "dispatch_comment",
        "other_content_type",
        "0.5%",
        "content_type other than order, case, task",
        "select count(*) from dispatch_comment where content_type not in ('order', 'case', 'task')",
    ),
    DataProblem(
        "dispatch_comment",
        "reference_points_nowhere",
        "1%",
        "object_id names no row of its content type",
        "select count(*) from dispatch_comment where object_id > 900000000",
    ),
    DataProblem(
        "dispatch_comment",
        "soft_removed",
        "3%",
        "is_removed rows (migrated, marked)",
        "select count(*) from dispatch_comment where is_removed",
    ),
    _orphan("dispatch_comment", "author_id", "auth_user", "0.2%"),
    _orphan("dispatch_technicianrole", "user_id", "auth_user", "1%"),
    _orphan("dispatch_communication", "sender_id", "auth_user", "0.3%"),
    _orphan("dispatch_communication", "recipient_id", "auth_user", "0.3%"),
    _orphan("dispatch_feedback", "patient_id", "dispatch_patient", "0.3%"),
    _orphan("dispatch_feedback", "order_id", "dispatch_order", "0.3%"),
    DataProblem(
        "dispatch_feedback",
        "rating_out_of_range",
        "0.5%",
        "rating 0 or 10",
        "select count(*) from dispatch_feedback where rating not between 1 and 5",
    ),
    *(
        _sparse_ids(t.name, t.sparse_ids.first_id, f"{t.sparse_ids.share:.0%}")
        for t in TABLES
        if t.sparse_ids
    ),
    *MODIFIED_PROBLEMS,
)
