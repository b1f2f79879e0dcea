"""How each legacy table is filled: volumes at scale 1.0 and one set-based INSERT per table.

Each statement fills the rows with ids $lo..$hi; `$n_<table>` is the number of rows of a
parent table (references land in 1..n, orphans far beyond). Salts are `<table base> + k`;
the row `2 + k` always carries problem k, so every data problem exists at every scale.
The data problems themselves are listed, with their rates, in devtools/cutover_dev/legacy/problems.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LegacyTable:
    name: str
    rows_at_scale_1: int
    insert: str
    # A column change that mutate applies to updated rows (besides moving `modified`).
    update_set: str | None = None
    # Tables whose rows are generated per row of another table (ids follow that table's ids).
    follows: str | None = None
    # Ids are not dense (shared/LEGACY_SOURCE.md): the sequence was moved by hand after an
    # import, so the last `share` of the rows have ids from `first_id` on (SparseIds).
    sparse_ids: SparseIds | None = None


@dataclass(frozen=True)
class SparseIds:
    share: float
    first_id: int


OFFICE = LegacyTable(
    "dispatch_office",
    523,
    """
insert into dispatch_office
    (id, name, address1, address2, city, state, zip, country, phone, email, is_active, created, modified)
select
    g.id,
    pg_temp.last_name(101, g.id) || ' ' || pg_temp.pick(102, g.id, array[
        'Orthodontics', 'Dental Care', 'Smiles', 'Family Dentistry', 'Dental Group']),
    (100 + pg_temp.ri(103, g.id, 9800))::text || ' ' || pg_temp.pick(104, g.id, array[
        'Main St', 'Oak Ave', 'Elm St', 'Lake Shore Dr', 'Michigan Ave', 'Cedar Rd', 'Maple Ln']),
    case when pg_temp.r(105, g.id) < 0.2 then 'Suite ' || pg_temp.ri(106, g.id, 900) end,
    pg_temp.pick(107, g.id, array['Chicago', 'Houston', 'Dallas', 'Austin', 'Denver', 'Omaha']),
    pg_temp.pick(108, g.id, array['IL', 'TX', 'TX', 'TX', 'CO', 'NE', 'Illinois']),
    lpad(pg_temp.ri(109, g.id, 99999)::text, 5, '0'),
    case
        when pg_temp.hit(111, g.id, 0.05) then 'us'
        when pg_temp.hit(112, g.id, 0.05) then 'USA'
        when pg_temp.hit(113, g.id, 0.05) then 'United States'
        when pg_temp.hit(114, g.id, 0.05) then null
        when pg_temp.hit(115, g.id, 0.01) then 'Atlantis'
        else 'US'
    end,
    pg_temp.phone(120, g.id),
    case
        when pg_temp.hit(116, g.id, 0.02) then 'frontdesk at office' || g.id
        else 'office' || g.id || '@' || pg_temp.pick(117, g.id, array['clinic.example', 'dental.example'])
    end,
    pg_temp.r(118, g.id) < 0.92,
    c.created,
    pg_temp.modified(119, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(130, g.id) as created) as c
""",
    update_set="phone = pg_temp.phone(140 + $round, id)",
)

CATEGORY = LegacyTable(
    "dispatch_category",
    40,
    """
insert into dispatch_category (id, name, slug, parent_id, sort_order, is_active)
select
    g.id,
    pg_temp.pick(201, g.id, array['Aligners', 'Retainers', 'Attachments', 'Refinements',
        'Scans', 'Models', 'Accessories', 'Services']) || ' ' || g.id,
    'category-' || g.id,
    case
        when pg_temp.hit(202, g.id, 0.03) then pg_temp.nowhere(g.id)
        when g.id > 8 then pg_temp.ri(203, g.id, 8)
    end,
    pg_temp.ri(204, g.id, 100),
    pg_temp.r(205, g.id) < 0.9
from generate_series($lo, $hi) as g (id)
""",
    update_set="sort_order = pg_temp.ri(210 + $round, id, 100)",
)

AUTH_USER = LegacyTable(
    "auth_user",
    9751,
    """
insert into auth_user
    (id, username, email, password, first_name, last_name, is_staff, is_superuser, is_active,
     date_joined, last_login)
select
    g.id,
    'user' || g.id,
    case
        when pg_temp.hit(301, g.id, 0.10) then initcap(e.base)
        when pg_temp.hit(302, g.id, 0.05) then ' ' || e.base || ' '
        when pg_temp.hit(303, g.id, 0.03) then ''
        when pg_temp.hit(304, g.id, 0.01) and g.id > 1 then upper(e.previous)
        when pg_temp.hit(305, g.id, 0.01) then replace(e.base, '@', ' at ')
        else e.base
    end,
    'pbkdf2_sha256' || chr(36) || '600000' || chr(36) || md5('salt' || g.id) || chr(36)
        || md5('hash' || g.id),
    pg_temp.first_name(310, g.id),
    pg_temp.last_name(311, g.id),
    pg_temp.r(312, g.id) < 0.05,
    pg_temp.r(313, g.id) < 0.005,
    pg_temp.r(314, g.id) < 0.9,
    c.created,
    case when pg_temp.r(315, g.id) >= 0.1 then pg_temp.later(316, g.id, c.created) end
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(320, g.id) as created) as c
cross join lateral (
    select
        lower(pg_temp.first_name(310, g.id) || '.' || pg_temp.last_name(311, g.id) || g.id
            || '@' || pg_temp.pick(317, g.id, array['example.com', 'mail.example', 'lab.example']))
            as base,
        lower(pg_temp.first_name(310, g.id - 1) || '.' || pg_temp.last_name(311, g.id - 1)
            || (g.id - 1) || '@' || pg_temp.pick(317, g.id - 1,
                array['example.com', 'mail.example', 'lab.example'])) as previous
) as e
""",
    update_set="last_login = timestamp '2026-01-01' + $round * interval '1 day'",
)

USERPROFILE = LegacyTable(
    "dispatch_userprofile",
    9751,  # one per user but for about 1%: the real count is about 9,653
    """
insert into dispatch_userprofile
    (id, user_id, role, phone, office_id, timezone, settings, avatar, created, modified)
select
    g.id,
    g.id,
    pg_temp.pick(402, g.id, array['doctor', 'doctor', 'Doctor', 'technician', 'technician',
        'tech', 'admin', 'staff', 'staff', 'support']),
    pg_temp.phone(403, g.id),
    pg_temp.optref(404, g.id, $n_dispatch_office, 0.3, 0.005),
    case when pg_temp.r(407, g.id) < 0.4 then null
        else pg_temp.pick(408, g.id, array['America/Chicago', 'America/New_York', 'America/Denver',
            'US/Central', 'UTC']) end,
    case
        when pg_temp.hit(409, g.id, 0.03) then ''
        when pg_temp.hit(410, g.id, 0.01) then '{theme: dark, notifications: yes'
        else format('{"theme": "%s", "notifications": %s, "page_size": %s}',
            pg_temp.pick(411, g.id, array['light', 'dark']), (pg_temp.r(412, g.id) < 0.5)::text,
            pg_temp.pick(413, g.id, array['25', '50', '100']))
    end,
    case when pg_temp.r(414, g.id) < 0.6 then null else 'avatars/' || g.id || '.png' end,
    c.created,
    pg_temp.modified(415, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(420, g.id) as created) as c
where not pg_temp.hit(401, g.id, 0.01)
""",
    update_set="timezone = 'America/Chicago'",
    follows="auth_user",
)

DOCTOR = LegacyTable(
    "dispatch_doctor",
    1350,
    """
insert into dispatch_doctor
    (id, user_id, office_id, license_no, specialty, title, is_deleted, created, modified)
select
    g.id,
    pg_temp.ref(501, g.id, $n_auth_user, 0.003),
    pg_temp.ref(503, g.id, $n_dispatch_office, 0.003),
    pg_temp.pick(505, g.id, array['IL', 'TX', 'CO', 'NE']) || '-' || lpad(g.id::text, 6, '0'),
    pg_temp.pick(506, g.id, array['Orthodontics', 'General Dentistry', 'Pediatric Dentistry',
        'Prosthodontics']),
    pg_temp.pick(507, g.id, array['Dr.', 'Dr.', 'DDS', 'DMD', '']),
    pg_temp.hit(508, g.id, 0.03),
    c.created,
    pg_temp.modified(509, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(520, g.id) as created) as c
""",
    update_set="specialty = 'Orthodontics'",
)

DOCTOR_OFFICES = LegacyTable(
    "dispatch_doctor_offices",
    1900,
    """
insert into dispatch_doctor_offices (id, doctor_id, office_id)
select
    p.id,
    case when pg_temp.hit(601, p.id, 0.005) then pg_temp.nowhere(p.id)
        else pg_temp.ri(610, p.source_id, $n_dispatch_doctor) end,
    pg_temp.ri(611, p.source_id, $n_dispatch_office)
from (
    select
        g.id,
        case when pg_temp.hit(602, g.id, 0.05) and g.id > 1 then g.id - 1 else g.id end
            as source_id
    from generate_series($lo, $hi) as g (id)
) as p
""",
)

PATIENT = LegacyTable(
    "dispatch_patient",
    38000,
    """
insert into dispatch_patient
    (id, doctor_id, office_id, first_name, last_name, email, phone, birth_date, sex, chart_no,
     is_deleted, created, modified)
select
    g.id,
    pg_temp.ref(701, g.id, $n_dispatch_doctor, 0.003),
    pg_temp.ref(703, g.id, $n_dispatch_office, 0.002),
    pg_temp.first_name(705, g.id),
    pg_temp.last_name(706, g.id),
    case when pg_temp.r(707, g.id) < 0.3 then null
        else lower(pg_temp.first_name(705, g.id)) || g.id || '@patient.example' end,
    pg_temp.phone(708, g.id),
    case
        when pg_temp.hit(709, g.id, 0.04) then ''
        when pg_temp.hit(710, g.id, 0.01) then to_char(b.dob, 'YYYY') || pg_temp.pick(711, g.id,
            array['-02-30', '-02-31', '-04-31', '-13-01'])
        when pg_temp.r(712, g.id) < 0.35 then to_char(b.dob, 'MM/DD/YYYY')
        else to_char(b.dob, 'YYYY-MM-DD')
    end,
    pg_temp.pick(713, g.id, array['M', 'F', 'M', 'F', 'M', 'F', 'm', 'f', 'U', '', null]),
    'C' || lpad(g.id::text, 7, '0'),
    pg_temp.hit(714, g.id, 0.02),
    c.created,
    pg_temp.modified(715, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(720, g.id) as created) as c
cross join lateral (select date '1940-01-01' + pg_temp.ri(716, g.id, 27000) as dob) as b
""",
    update_set="phone = pg_temp.phone(730 + $round, id)",
    sparse_ids=SparseIds(0.05, 500_001),
)

ORDER = LegacyTable(
    "dispatch_order",
    126000,
    """
insert into dispatch_order
    (id, order_no, patient_id, doctor_id, office_id, status, total, currency, rush, notes,
     submitted_at, shipped_at, created, modified)
select
    o.id,
    'ORD' || lpad((case when pg_temp.hit(801, o.id, 0.001) and o.id > 1 then o.id - 1
        else o.id end)::text, 8, '0'),
    o.patient_id,
    coalesce(p.doctor_id, pg_temp.ri(803, o.id, $n_dispatch_doctor)),
    coalesce(p.office_id, pg_temp.ri(804, o.id, $n_dispatch_office)),
    o.status,
    case when pg_temp.hit(805, o.id, 0.002) then -1 else 1 end
        * pg_temp.ri(806, o.id, 600000)::double precision * 0.01,
    pg_temp.pick(807, o.id, array['USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'usd', null]),
    pg_temp.r(808, o.id) < 0.05,
    case when pg_temp.r(809, o.id) < 0.6 then null else pg_temp.words(810, o.id, 8) end,
    case when o.status <> 1 then o.created + pg_temp.ri(811, o.id, 72) * interval '1 hour' end,
    case when o.status in (4, 5) then o.created + pg_temp.ri(812, o.id, 30) * interval '1 day' end,
    o.created,
    pg_temp.modified(813, o.id, o.created)
from (
    select
        g.id,
        pg_temp.ref(820, g.id, $n_dispatch_patient, 0.002) as patient_id,
        case when pg_temp.hit(822, g.id, 0.002)
            then pg_temp.pick(823, g.id, array['0', '99'])::smallint
            else pg_temp.pick(824, g.id, array['1', '2', '3', '3', '4', '5', '5', '5', '6'])::smallint
        end as status,
        pg_temp.ts(830, g.id) as created
    from generate_series($lo, $hi) as g (id)
) as o
left join dispatch_patient as p on p.id = o.patient_id
""",
    update_set="status = least(status + 1, 6), notes = pg_temp.words(840 + $round, id, 5)",
    sparse_ids=SparseIds(0.05, 1_000_001),
)

PRODUCT = LegacyTable(
    "dispatch_product",
    95000,
    """
insert into dispatch_product
    (id, order_id, category_id, sku, name, quantity, unit_price_cents, status, created, modified)
select
    g.id,
    pg_temp.ref(901, g.id, $n_dispatch_order, 0.002),
    pg_temp.ref(903, g.id, $n_dispatch_category, 0.002),
    'SKU-' || lpad(pg_temp.ri(905, g.id, 9999)::text, 4, '0'),
    pg_temp.pick(906, g.id, array['Aligner set', 'Retainer', 'Refinement trays', 'Attachment template',
        'Study model', 'Whitening kit']),
    pg_temp.ri(907, g.id, 4),
    case when pg_temp.hit(908, g.id, 0.001) then -1 else 1 end * (100 + pg_temp.ri(909, g.id, 50000)),
    case when pg_temp.hit(910, g.id, 0.001) then 'zz?'
        else pg_temp.pick(911, g.id, array['active', 'active', 'Active', 'shipped', 'cancelled',
            'returned']) end,
    c.created,
    pg_temp.modified(912, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(920, g.id) as created) as c
""",
    update_set="quantity = quantity + 1",
)

TASK = LegacyTable(
    "dispatch_task",
    762000,
    """
insert into dispatch_task
    (id, order_id, patient_id, kind, status, assignee_id, due_date, completed_at, notes, created,
     modified)
select
    t.id,
    t.order_id,
    case when pg_temp.hit(1002, t.id, 0.01) or o.patient_id is null
        then pg_temp.ri(1003, t.id, $n_dispatch_patient) else o.patient_id end,
    pg_temp.pick(1004, t.id, array['scan_review', 'treatment_setup', 'qa_check', 'print',
        'trim', 'pack', 'ship', 'call_doctor']),
    t.status,
    pg_temp.optref(1006, t.id, $n_auth_user, 0.2, 0.002),
    (t.created + pg_temp.ri(1009, t.id, 21) * interval '1 day')::date,
    case when lower(trim(t.status)) in ('done', 'completed')
        then t.created + pg_temp.ri(1010, t.id, 500) * interval '1 hour' end,
    case when pg_temp.r(1011, t.id) < 0.7 then null else pg_temp.words(1012, t.id, 6) end,
    t.created,
    pg_temp.modified(1013, t.id, t.created)
from (
    select
        g.id,
        pg_temp.ref(1020, g.id, $n_dispatch_order, 0.001) as order_id,
        case when pg_temp.hit(1005, g.id, 0.001)
            then pg_temp.pick(1022, g.id, array['blocked?', 'n/a', 'TODO!'])
            else pg_temp.pick(1023, g.id, array['Done', 'done ', 'DONE', 'done', 'done', 'completed',
                'open', 'OPEN', 'open', 'in progress', 'In-Progress', 'in_progress', 'cancelled',
                'canceled'])
        end as status,
        pg_temp.ts(1030, g.id) as created
    from generate_series($lo, $hi) as g (id)
) as t
left join dispatch_order as o on o.id = t.order_id
""",
    update_set="status = 'done'",
    sparse_ids=SparseIds(0.02, 2_000_000_001),
)

CASE = LegacyTable(
    "dispatch_case",
    7800,
    """
insert into dispatch_case
    (id, patient_id, doctor_id, title, state, opened_at, closed_at, is_deleted, created, modified)
select
    k.id,
    k.patient_id,
    coalesce(p.doctor_id, pg_temp.ri(1103, k.id, $n_dispatch_doctor)),
    'Case ' || k.id || ': ' || pg_temp.words(1104, k.id, 3),
    k.state,
    k.created,
    case when lower(k.state) = 'closed' then k.created + pg_temp.ri(1105, k.id, 200) * interval '1 day' end,
    pg_temp.hit(1106, k.id, 0.02),
    k.created,
    pg_temp.modified(1107, k.id, k.created)
from (
    select
        g.id,
        pg_temp.ref(1101, g.id, $n_dispatch_patient, 0.002) as patient_id,
        case when pg_temp.hit(1108, g.id, 0.001) then 'limbo'
            else pg_temp.pick(1109, g.id, array['open', 'Open', 'in_review', 'closed', 'Closed',
                'on_hold']) end as state,
        pg_temp.ts(1120, g.id) as created
    from generate_series($lo, $hi) as g (id)
) as k
left join dispatch_patient as p on p.id = k.patient_id
""",
    update_set="state = 'closed', closed_at = timestamp '2026-01-01' + $round * interval '1 day'",
)

CASESTATE = LegacyTable(
    "dispatch_casestate",
    31000,
    """
insert into dispatch_casestate (id, case_id, state, changed_by_id, changed_at, note)
select
    s.id,
    case when pg_temp.hit(1201, s.id, 0.003) then pg_temp.nowhere(s.id)
        else pg_temp.ri(1210, s.source_id, $n_dispatch_case) end,
    pg_temp.pick(1203, s.id, array['open', 'in_review', 'on_hold', 'closed', 'reopened']),
    pg_temp.optref(1204, s.id, $n_auth_user, 0.1, 0.002),
    -- ids grow with time, so a case's history is ordered; but a few rows repeat the case of
    -- the row before them with a time a day before it
    timestamp '2014-01-01' + (s.source_id::double precision / greatest($hi, 1)) * interval '4380 days'
        - case when s.source_id < s.id then interval '1 day' else interval '0' end,
    case when pg_temp.r(1208, s.id) < 0.5 then null else pg_temp.words(1209, s.id, 5) end
from (
    select g.id,
        case when pg_temp.hit(1207, g.id, 0.002) and g.id > 1 then g.id - 1 else g.id end as source_id
    from generate_series($lo, $hi) as g (id)
) as s
""",
)

RECORD = LegacyTable(
    "dispatch_record",
    60000,
    """
insert into dispatch_record
    (id, patient_id, doctor_id, author_id, channel, subject, body, read_at, created)
select
    g.id,
    pg_temp.ref(1301, g.id, $n_dispatch_patient, 0.002),
    case when pg_temp.r(1303, g.id) < 0.3 then null
        else pg_temp.ri(1304, g.id, $n_dispatch_doctor) end,
    pg_temp.ref(1305, g.id, $n_auth_user, 0.002),
    case when pg_temp.hit(1307, g.id, 0.001) then 'fax'
        else pg_temp.pick(1308, g.id, array['portal', 'portal', 'PORTAL', 'email', 'sms']) end,
    pg_temp.words(1309, g.id, 4),
    pg_temp.words(1310, g.id, 30),
    case when pg_temp.r(1311, g.id) < 0.4 then null
        else c.created + pg_temp.ri(1312, g.id, 96) * interval '1 hour' end,
    c.created
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(1320, g.id) as created) as c
""",
    update_set="read_at = timestamp '2026-01-01' + $round * interval '1 day'",
)

CASE_MESSAGES = LegacyTable(
    "dispatch_case_messages",
    18000,
    """
insert into dispatch_case_messages (id, case_id, record_id)
select
    p.id,
    case when pg_temp.hit(1401, p.id, 0.003) then pg_temp.nowhere(p.id)
        else pg_temp.ri(1410, p.source_id, $n_dispatch_case) end,
    case when pg_temp.hit(1402, p.id, 0.003) then pg_temp.nowhere(p.id)
        else pg_temp.ri(1411, p.source_id, $n_dispatch_record) end
from (
    select g.id,
        case when pg_temp.hit(1403, g.id, 0.01) and g.id > 1 then g.id - 1 else g.id end as source_id
    from generate_series($lo, $hi) as g (id)
) as p
""",
)

CASE_FILES = LegacyTable(
    "dispatch_case_files",
    24000,
    """
insert into dispatch_case_files (id, case_id, file_id)
select
    p.id,
    case when pg_temp.hit(1501, p.id, 0.003) then pg_temp.nowhere(p.id)
        else pg_temp.ri(1510, p.source_id, $n_dispatch_case) end,
    case when pg_temp.hit(1502, p.id, 0.003) then pg_temp.nowhere(p.id)
        else pg_temp.ri(1511, p.source_id, $n_dispatch_file) end
from (
    select g.id,
        case when pg_temp.hit(1503, g.id, 0.01) and g.id > 1 then g.id - 1 else g.id end as source_id
    from generate_series($lo, $hi) as g (id)
) as p
""",
)

FILE = LegacyTable(
    "dispatch_file",
    294000,
    """
insert into dispatch_file
    (id, order_id, case_id, uploaded_by_id, path, original_name, mime_type, size_bytes, md5, created)
select
    f.id,
    f.order_id,
    f.case_id,
    case when pg_temp.r(1610, f.id) < 0.1 then null else pg_temp.ri(1611, f.id, $n_auth_user) end,
    case
        when pg_temp.hit(1604, f.id, 0.02) then '/' || f.key
        when pg_temp.hit(1605, f.id, 0.01) then replace(f.key, '/', chr(92))
        else f.key
    end,
    f.original_name,
    case when pg_temp.r(1612, f.id) < 0.05 then null
        else pg_temp.pick(1613, f.id, array['model/stl', 'image/jpeg', 'image/png',
            'application/pdf']) end,
    case
        when pg_temp.r(1614, f.id) < 0.02 then null
        when pg_temp.hit(1606, f.id, 0.003) then -pg_temp.ri(1615, f.id, 1000000)
        else 1000 + pg_temp.ri(1616, f.id, 50000000)::bigint
    end,
    case when pg_temp.r(1617, f.id) < 0.05 then null else md5('object' || f.id) end,
    pg_temp.ts(1620, f.id)
from (
    select
        g.id,
        case
            when pg_temp.hit(1601, g.id, 0.002) then null
            when pg_temp.hit(1602, g.id, 0.002) then pg_temp.ri(1621, g.id, $n_dispatch_order)
            when pg_temp.hit(1603, g.id, 0.002) then pg_temp.nowhere(g.id)
            when pg_temp.r(1622, g.id) < 0.6 then pg_temp.ri(1623, g.id, $n_dispatch_order)
        end as order_id,
        case
            when pg_temp.hit(1601, g.id, 0.002) then null
            when pg_temp.hit(1602, g.id, 0.002) then pg_temp.ri(1625, g.id, $n_dispatch_case)
            when pg_temp.r(1622, g.id) >= 0.6 and not pg_temp.hit(1603, g.id, 0.002)
                then pg_temp.ri(1626, g.id, $n_dispatch_case)
        end as case_id,
        'lab/' || to_char(g.id % 97, 'FM00') || '/' || g.id || '-'
            || pg_temp.pick(1627, g.id, array['upper.stl', 'lower.stl', 'photo.jpg', 'rx.pdf'])
            as key,
        pg_temp.pick(1628, g.id, array['Upper Scan.stl', 'lower_scan.stl', 'IMG_0001.JPG',
            'prescription.pdf']) as original_name
    from generate_series($lo, $hi) as g (id)
) as f
""",
    sparse_ids=SparseIds(0.10, 10_000_001),
)

RECORD_ATTACHMENT = LegacyTable(
    "dispatch_record_attachment",
    12000,
    """
insert into dispatch_record_attachment (id, record_id, path, filename, size_bytes, created)
select
    g.id,
    pg_temp.ref(1701, g.id, $n_dispatch_record, 0.003),
    'attachments/' || g.id || '/' || pg_temp.pick(1703, g.id, array['photo.jpg', 'note.pdf']),
    pg_temp.pick(1704, g.id, array['photo.jpg', 'note.pdf', 'Scan 1.PNG']),
    case when pg_temp.hit(1705, g.id, 0.002) then -1 else 1 end * pg_temp.ri(1706, g.id, 5000000),
    pg_temp.ts(1720, g.id)
from generate_series($lo, $hi) as g (id)
""",
)

OFFER = LegacyTable(
    "dispatch_offer",
    393,
    """
insert into dispatch_offer
    (id, doctor_id, order_id, title, percent_off, valid_from, valid_to, is_active, created)
select
    o.id,
    pg_temp.optref(1801, o.id, $n_dispatch_doctor, 0.3, 0.005),
    case when pg_temp.r(1804, o.id) < 0.8 then null
        else pg_temp.ri(1805, o.id, $n_dispatch_order) end,
    pg_temp.pick(1806, o.id, array['Spring promo', 'Loyalty', 'New doctor', 'Refinement special'])
        || ' ' || o.id,
    case when pg_temp.r(1807, o.id) < 0.2 then null else 5 + pg_temp.ri(1808, o.id, 25) end,
    o.valid_from,
    case
        when pg_temp.hit(1809, o.id, 0.02) then o.valid_from - pg_temp.ri(1810, o.id, 60)
        when pg_temp.r(1811, o.id) < 0.2 then null
        else o.valid_from + pg_temp.ri(1812, o.id, 365)
    end,
    pg_temp.r(1813, o.id) < 0.7,
    o.valid_from + time '09:00'
from (
    select g.id, (date '2016-01-01' + pg_temp.ri(1820, g.id, 3600)) as valid_from
    from generate_series($lo, $hi) as g (id)
) as o
""",
    update_set="is_active = not is_active",
)

DISCOUNT = LegacyTable(
    "dispatch_discount",
    135,
    """
insert into dispatch_discount
    (id, offer_id, code, amount_cents, percent, max_uses, used_count, created)
select
    g.id,
    pg_temp.ref(1901, g.id, $n_dispatch_offer, 0.01),
    case when pg_temp.hit(1903, g.id, 0.03) and g.id > 1 then lower('SAVE' || (g.id - 1))
        else 'SAVE' || g.id end,
    case when pg_temp.r(1904, g.id) < 0.5 then 500 * pg_temp.ri(1905, g.id, 20) end,
    case when pg_temp.r(1904, g.id) >= 0.5 then 5 + pg_temp.ri(1906, g.id, 20) end,
    case when pg_temp.r(1907, g.id) < 0.4 then null else pg_temp.ri(1908, g.id, 500) end,
    pg_temp.ri(1909, g.id, 100) - 1,
    pg_temp.ts(1920, g.id)
from generate_series($lo, $hi) as g (id)
""",
    update_set="used_count = used_count + 1",
)

PAYMENT = LegacyTable(
    "dispatch_payment",
    16000,
    """
insert into dispatch_payment
    (id, order_id, payer_id, amount, currency, method, status, external_ref, paid_at, created)
select
    g.id,
    pg_temp.ref(2001, g.id, $n_dispatch_order, 0.003),
    pg_temp.ref(2003, g.id, $n_auth_user, 0.002),
    case when pg_temp.hit(2005, g.id, 0.003) then -1 else 1 end
        * round((pg_temp.ri(2006, g.id, 400000) / 100.0)::numeric, 2),
    pg_temp.pick(2007, g.id, array['USD', 'USD', 'USD', 'usd']),
    pg_temp.pick(2008, g.id, array['card', 'CC', 'credit_card', 'check', 'wire', 'ach']),
    case when pg_temp.hit(2009, g.id, 0.001) then 'chargeback?'
        else pg_temp.pick(2010, g.id, array['paid', 'paid', 'PAID', 'refunded', 'failed',
            'pending']) end,
    case when pg_temp.r(2011, g.id) < 0.2 then null else 'ch_' || md5('payment' || g.id) end,
    case when pg_temp.r(2012, g.id) < 0.15 then null
        else c.created + pg_temp.ri(2013, g.id, 48) * interval '1 hour' end,
    c.created
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(2020, g.id) as created) as c
""",
    update_set="status = 'refunded'",
)

PURCHASE = LegacyTable(
    "dispatch_purchase",
    19000,
    """
insert into dispatch_purchase
    (id, payment_id, order_id, product_id, quantity, unit_price_cents, discount_id, created)
select
    q.id,
    q.payment_id,
    case when pg_temp.hit(2103, q.id, 0.005) or pay.order_id is null
        then pg_temp.ri(2104, q.id, $n_dispatch_order) else pay.order_id end,
    case when pg_temp.r(2105, q.id) < 0.1 then null
        else pg_temp.ri(2106, q.id, $n_dispatch_product) end,
    pg_temp.ri(2107, q.id, 3),
    100 + pg_temp.ri(2108, q.id, 50000),
    case when pg_temp.r(2109, q.id) < 0.9 then null
        else pg_temp.ri(2110, q.id, $n_dispatch_discount) end,
    coalesce(pay.created, pg_temp.ts(2120, q.id))
from (
    select g.id, pg_temp.ref(2101, g.id, $n_dispatch_payment, 0.003) as payment_id
    from generate_series($lo, $hi) as g (id)
) as q
left join dispatch_payment as pay on pay.id = q.payment_id
""",
)

JAW = LegacyTable(
    "dispatch_jaw",
    39000,
    """
insert into dispatch_jaw (id, patient_id, jaw, teeth, created, modified)
select
    g.id,
    pg_temp.ref(2201, g.id, $n_dispatch_patient, 0.002),
    case when pg_temp.hit(2203, g.id, 0.001) then 'both'
        else pg_temp.pick(2204, g.id, array['upper', 'lower', 'U', 'L', 'UPPER', 'Lower']) end,
    case when pg_temp.hit(2205, g.id, 0.005) then '[11, 12, 13,'
        else '[' || (
            select string_agg(t::text, ', ')
            from generate_series(11, 10 + pg_temp.ri(2206, g.id, 8)) as t
        ) || ']' end,
    c.created,
    pg_temp.modified(2207, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(2220, g.id) as created) as c
""",
    update_set="teeth = '[11, 12]'",
)

PLAN = LegacyTable(
    "dispatch_plan",
    67000,
    """
insert into dispatch_plan
    (id, patient_id, order_id, version, approved, approved_at, data, created, modified)
select
    g.id,
    pg_temp.ref(2301, g.id, $n_dispatch_patient, 0.002),
    case when pg_temp.r(2303, g.id) < 0.2 then null
        else pg_temp.ri(2304, g.id, $n_dispatch_order) end,
    pg_temp.ri(2305, g.id, 5),
    pg_temp.r(2306, g.id) < 0.6,
    case when pg_temp.r(2306, g.id) < 0.6
        then c.created + pg_temp.ri(2307, g.id, 30) * interval '1 day' end,
    case
        when pg_temp.hit(2308, g.id, 0.005) then left(d.doc, length(d.doc) / 2)
        when pg_temp.hit(2309, g.id, 0.005) then ''
        else d.doc
    end,
    c.created,
    pg_temp.modified(2310, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(2320, g.id) as created) as c
cross join lateral (
    select '{"format": "aligner-plan/2", "plan": ' || g.id || ', "stages": ['
        || string_agg(format(
            '{"stage": %s, "weeks": 2, "moves": [{"tooth": %s, "dx": %s, "dy": %s, "rot": %s}, '
            '{"tooth": %s, "dx": %s, "dy": %s, "rot": %s}, {"tooth": %s, "dx": %s, "dy": %s, '
            '"rot": %s}, {"tooth": %s, "dx": %s, "dy": %s, "rot": %s}]}',
            s, 11 + h % 8, (h % 41 - 20) / 100.0, (h / 41 % 41 - 20) / 100.0, h / 1681 % 15 - 7,
            21 + h / 7 % 8, (h / 3 % 41 - 20) / 100.0, (h / 5 % 41 - 20) / 100.0, h / 11 % 15 - 7,
            31 + h / 13 % 8, (h / 17 % 41 - 20) / 100.0, (h / 19 % 41 - 20) / 100.0, h / 23 % 15 - 7,
            41 + h / 29 % 8, (h / 31 % 41 - 20) / 100.0, (h / 37 % 41 - 20) / 100.0, h / 43 % 15 - 7
        ), ', ') || ']}' as doc
    from (
        select s, abs(hashint8extended(g.id * 100 + s, 17)) as h
        from generate_series(1, 3 + floor(pg_temp.r(2311, g.id) ^ 3 * 49)::integer) as s
    ) as stages
) as d
""",
    update_set="approved = true, approved_at = timestamp '2026-01-01' + $round * interval '1 day'",
)

PROJECT = LegacyTable(
    "dispatch_project",
    66000,
    """
insert into dispatch_project
    (id, name, order_id, technician_id, status, milestones, started_at, finished_at, created,
     modified)
select
    g.id,
    'Project ' || g.id,
    pg_temp.optref(2401, g.id, $n_dispatch_order, 0.3, 0.002),
    pg_temp.optref(2404, g.id, $n_auth_user, 0.3, 0.002),
    case when pg_temp.hit(2407, g.id, 0.001) then 'paused???'
        else pg_temp.pick(2408, g.id, array['planned', 'active', 'Active', 'done', 'Done',
            'cancelled']) end,
    case when pg_temp.hit(2409, g.id, 0.003) then '[{name: setup}'
        else format('[{"name": "setup", "due": "%s", "done": true}, '
            '{"name": "review", "due": "%s", "done": %s}]',
            (c.created + interval '7 days')::date, (c.created + interval '21 days')::date,
            (pg_temp.r(2410, g.id) < 0.5)::text) end,
    c.created + interval '1 day',
    case when pg_temp.r(2411, g.id) < 0.5 then c.created + interval '30 days' end,
    c.created,
    pg_temp.modified(2412, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(2420, g.id) as created) as c
""",
    update_set="status = 'done', finished_at = timestamp '2026-01-01' + $round * interval '1 day'",
)

DOCTORNOTE = LegacyTable(
    "dispatch_doctornote",
    24000,
    """
insert into dispatch_doctornote (id, doctor_id, patient_id, body, is_private, created, modified)
select
    g.id,
    pg_temp.ref(2501, g.id, $n_dispatch_doctor, 0.002),
    pg_temp.ref(2503, g.id, $n_dispatch_patient, 0.002),
    pg_temp.words(2505, g.id, 20),
    pg_temp.r(2506, g.id) < 0.2,
    c.created,
    pg_temp.modified(2507, g.id, c.created)
from generate_series($lo, $hi) as g (id)
cross join lateral (select pg_temp.ts(2520, g.id) as created) as c
""",
    update_set="body = body || ' (edited)'",
)

COMMENT = LegacyTable(
    "dispatch_comment",
    45000,
    """
insert into dispatch_comment (id, content_type, object_id, author_id, body, is_removed, created)
select
    k.id,
    k.content_type,
    case
        when pg_temp.hit(2602, k.id, 0.01) then pg_temp.nowhere(k.id)
        when k.content_type = 'order' then pg_temp.ri(2610, k.id, $n_dispatch_order)
        when k.content_type = 'case' then pg_temp.ri(2611, k.id, $n_dispatch_case)
        when k.content_type = 'task' then pg_temp.ri(2612, k.id, $n_dispatch_task)
        else pg_temp.ri(2613, k.id, 1000)
    end,
    pg_temp.ref(2603, k.id, $n_auth_user, 0.002),
    pg_temp.words(2605, k.id, 12),
    pg_temp.hit(2606, k.id, 0.03),
    pg_temp.ts(2620, k.id)
from (
    select g.id,
        case when pg_temp.hit(2601, g.id, 0.005)
            then pg_temp.pick(2607, g.id, array['invoice', 'user', 'legacyreport'])
            else pg_temp.pick(2608, g.id, array['order', 'order', 'case', 'task', 'task']) end
            as content_type
    from generate_series($lo, $hi) as g (id)
) as k
""",
    update_set="is_removed = true",
    sparse_ids=SparseIds(0.05, 1_000_001),
)

TECHNICIANROLE = LegacyTable(
    "dispatch_technicianrole",
    31,
    """
insert into dispatch_technicianrole (id, user_id, role, level, created)
select
    g.id,
    pg_temp.ref(2701, g.id, $n_auth_user, 0.01),
    pg_temp.pick(2703, g.id, array['designer', 'qa', 'printer', 'trimmer', 'lead']),
    pg_temp.ri(2704, g.id, 5),
    pg_temp.ts(2720, g.id)
from generate_series($lo, $hi) as g (id)
""",
    update_set="level = least(level + 1, 5)",
)

COMMUNICATION = LegacyTable(
    "dispatch_communication",
    783,
    """
insert into dispatch_communication (id, sender_id, recipient_id, kind, subject, body, sent_at)
select
    g.id,
    pg_temp.ref(2801, g.id, $n_auth_user, 0.003),
    pg_temp.optref(2803, g.id, $n_auth_user, 0.2, 0.003),
    pg_temp.pick(2806, g.id, array['newsletter', 'notice', 'reminder', 'Notice']),
    pg_temp.words(2807, g.id, 4),
    pg_temp.words(2808, g.id, 25),
    case when pg_temp.r(2809, g.id) < 0.05 then null else pg_temp.ts(2820, g.id) end
from generate_series($lo, $hi) as g (id)
""",
    update_set="sent_at = timestamp '2026-01-01' + $round * interval '1 day'",
)

FEEDBACK = LegacyTable(
    "dispatch_feedback",
    21000,
    """
insert into dispatch_feedback (id, patient_id, order_id, rating, comment, created)
select
    g.id,
    pg_temp.ref(2901, g.id, $n_dispatch_patient, 0.003),
    pg_temp.optref(2903, g.id, $n_dispatch_order, 0.3, 0.003),
    case when pg_temp.hit(2906, g.id, 0.005) then pg_temp.pick(2907, g.id, array['0', '10'])::smallint
        else pg_temp.ri(2908, g.id, 5) end,
    case when pg_temp.r(2909, g.id) < 0.4 then null else pg_temp.words(2910, g.id, 10) end,
    pg_temp.ts(2920, g.id)
from generate_series($lo, $hi) as g (id)
""",
    update_set="rating = greatest(rating - 1, 1)",
)

# Where each table's id is referenced: (table, column, and a condition for a generic reference).
# Moving a block of ids (SparseIds) moves the references to it.
REFERENCES: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "dispatch_patient": (
        ("dispatch_order", "patient_id", None),
        ("dispatch_task", "patient_id", None),
        ("dispatch_case", "patient_id", None),
        ("dispatch_record", "patient_id", None),
        ("dispatch_jaw", "patient_id", None),
        ("dispatch_plan", "patient_id", None),
        ("dispatch_doctornote", "patient_id", None),
        ("dispatch_feedback", "patient_id", None),
    ),
    "dispatch_order": (
        ("dispatch_product", "order_id", None),
        ("dispatch_task", "order_id", None),
        ("dispatch_file", "order_id", None),
        ("dispatch_offer", "order_id", None),
        ("dispatch_payment", "order_id", None),
        ("dispatch_purchase", "order_id", None),
        ("dispatch_plan", "order_id", None),
        ("dispatch_project", "order_id", None),
        ("dispatch_feedback", "order_id", None),
        ("dispatch_comment", "object_id", "content_type = 'order'"),
    ),
    "dispatch_task": (("dispatch_comment", "object_id", "content_type = 'task'"),),
    "dispatch_file": (("dispatch_case_files", "file_id", None),),
}

# In generation order: a table's parents come before it.
TABLES: tuple[LegacyTable, ...] = (
    OFFICE,
    CATEGORY,
    AUTH_USER,
    USERPROFILE,
    DOCTOR,
    DOCTOR_OFFICES,
    PATIENT,
    ORDER,
    PRODUCT,
    TASK,
    CASE,
    CASESTATE,
    RECORD,
    CASE_MESSAGES,
    FILE,
    CASE_FILES,
    RECORD_ATTACHMENT,
    OFFER,
    DISCOUNT,
    PAYMENT,
    PURCHASE,
    JAW,
    PLAN,
    PROJECT,
    DOCTORNOTE,
    COMMENT,
    TECHNICIANROLE,
    COMMUNICATION,
    FEEDBACK,
)

# storage_inventory is the object store's listing: one object per file under its normalised
# key, but a few files have no object and a few objects differ in size.
STORAGE_INVENTORY_FILL = """
insert into storage_inventory (key, size_bytes, md5)
select
    ltrim(replace(f.path, chr(92), '/'), '/'),
    case when pg_temp.hit(3002, f.id, 0.005) then abs(coalesce(f.size_bytes, 0)) + 17
        else abs(coalesce(f.size_bytes, 0)) end,
    coalesce(f.md5, md5('object' || f.id))
from dispatch_file as f
where f.id between $lo and $hi and not pg_temp.hit(3001, f.id, 0.005)
on conflict (key) do nothing
"""
