-- The legacy source database, written from shared/LEGACY_SOURCE.md.
-- Table names, column names and types are the client's and are not ours to change:
-- no foreign keys, local-time timestamps, free-text codes. Run against database `legacy`.

create table dispatch_office (
    id serial primary key,
    name varchar(255),
    address1 varchar(255),
    address2 varchar(255),
    city varchar(100),
    state varchar(50),
    zip varchar(20),
    country varchar(50),
    phone varchar(40),
    email varchar(254),
    is_active boolean,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_category (
    id serial primary key,
    name varchar(100),
    slug varchar(100),
    parent_id integer,
    sort_order integer,
    is_active boolean
);

create table auth_user (
    id serial primary key,
    username varchar(150) unique,
    email varchar(254),
    password varchar(128),
    first_name varchar(150),
    last_name varchar(150),
    is_staff boolean,
    is_superuser boolean,
    is_active boolean,
    date_joined timestamp without time zone,
    last_login timestamp without time zone
);

create table dispatch_userprofile (
    id serial primary key,
    user_id integer,
    role varchar(30),
    phone varchar(40),
    office_id integer,
    timezone varchar(64),
    settings text,
    avatar varchar(255),
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_doctor (
    id serial primary key,
    user_id integer,
    office_id integer,
    license_no varchar(50),
    specialty varchar(100),
    title varchar(20),
    is_deleted boolean,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_doctor_offices (
    id serial primary key,
    doctor_id integer,
    office_id integer
);

create table dispatch_patient (
    id serial primary key,
    doctor_id integer,
    office_id integer,
    first_name varchar(150),
    last_name varchar(150),
    email varchar(254),
    phone varchar(40),
    birth_date varchar(10),
    sex varchar(1),
    chart_no varchar(30),
    is_deleted boolean,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_order (
    id serial primary key,
    order_no varchar(20),
    patient_id integer,
    doctor_id integer,
    office_id integer,
    status smallint,
    total double precision,
    currency char(3),
    rush boolean,
    notes text,
    submitted_at timestamp without time zone,
    shipped_at timestamp without time zone,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_product (
    id serial primary key,
    order_id integer,
    category_id integer,
    sku varchar(40),
    name varchar(200),
    quantity integer,
    unit_price_cents integer,
    status varchar(20),
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_task (
    id serial primary key,
    order_id integer,
    patient_id integer,
    kind varchar(40),
    status varchar(20),
    assignee_id integer,
    due_date date,
    completed_at timestamp without time zone,
    notes text,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_case (
    id serial primary key,
    patient_id integer,
    doctor_id integer,
    title varchar(200),
    state varchar(30),
    opened_at timestamp without time zone,
    closed_at timestamp without time zone,
    is_deleted boolean,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_casestate (
    id serial primary key,
    case_id integer,
    state varchar(30),
    changed_by_id integer,
    changed_at timestamp without time zone,
    note text
);

create table dispatch_record (
    id serial primary key,
    patient_id integer,
    doctor_id integer,
    author_id integer,
    channel varchar(10),
    subject varchar(255),
    body text,
    read_at timestamp without time zone,
    created timestamp without time zone
);

create table dispatch_case_messages (
    id serial primary key,
    case_id integer,
    record_id integer
);

create table dispatch_case_files (
    id serial primary key,
    case_id integer,
    file_id integer
);

create table dispatch_file (
    id serial primary key,
    order_id integer,
    case_id integer,
    uploaded_by_id integer,
    path varchar(500),
    original_name varchar(255),
    mime_type varchar(100),
    size_bytes bigint,
    md5 char(32),
    created timestamp without time zone
);

create table dispatch_record_attachment (
    id serial primary key,
    record_id integer,
    path varchar(500),
    filename varchar(255),
    size_bytes integer,
    created timestamp without time zone
);

create table dispatch_offer (
    id serial primary key,
    doctor_id integer,
    order_id integer,
    title varchar(200),
    percent_off numeric(5, 2),
    valid_from date,
    valid_to date,
    is_active boolean,
    created timestamp without time zone
);

create table dispatch_discount (
    id serial primary key,
    offer_id integer,
    code varchar(40),
    amount_cents integer,
    percent numeric(5, 2),
    max_uses integer,
    used_count integer,
    created timestamp without time zone
);

create table dispatch_payment (
    id serial primary key,
    order_id integer,
    payer_id integer,
    amount numeric(10, 2),
    currency char(3),
    method varchar(20),
    status varchar(20),
    external_ref varchar(64),
    paid_at timestamp without time zone,
    created timestamp without time zone
);

create unique index dispatch_payment_external_ref_uniq
    on dispatch_payment (external_ref) where external_ref is not null;

create table dispatch_purchase (
    id serial primary key,
    payment_id integer,
    order_id integer,
    product_id integer,
    quantity integer,
    unit_price_cents integer,
    discount_id integer,
    created timestamp without time zone
);

create table dispatch_jaw (
    id serial primary key,
    patient_id integer,
    jaw varchar(10),
    teeth text,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_plan (
    id serial primary key,
    patient_id integer,
    order_id integer,
    version integer,
    approved boolean,
    approved_at timestamp without time zone,
    data text,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_project (
    id serial primary key,
    name varchar(200),
    order_id integer,
    technician_id integer,
    status varchar(20),
    milestones text,
    started_at timestamp without time zone,
    finished_at timestamp without time zone,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_doctornote (
    id serial primary key,
    doctor_id integer,
    patient_id integer,
    body text,
    is_private boolean,
    created timestamp without time zone,
    modified timestamp without time zone
);

create table dispatch_comment (
    id serial primary key,
    content_type varchar(20),
    object_id integer,
    author_id integer,
    body text,
    is_removed boolean,
    created timestamp without time zone
);

create table dispatch_technicianrole (
    id serial primary key,
    user_id integer,
    role varchar(50),
    level smallint,
    created timestamp without time zone
);

create table dispatch_communication (
    id serial primary key,
    sender_id integer,
    recipient_id integer,
    kind varchar(20),
    subject varchar(255),
    body text,
    sent_at timestamp without time zone
);

create table dispatch_feedback (
    id serial primary key,
    patient_id integer,
    order_id integer,
    rating smallint,
    comment text,
    created timestamp without time zone
);

create table storage_inventory (
    key varchar(500) primary key,
    size_bytes bigint,
    md5 char(32)
);
