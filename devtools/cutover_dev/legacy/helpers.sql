-- Session-local helpers of the generator: created in pg_temp, so nothing is left behind in
-- the legacy database. Every value is a pure function of (seed, salt, row id), which makes a
-- generated database identical across runs, machines and PostgreSQL versions.

-- A uniform number in [0, 1).
create function pg_temp.r(salt integer, id bigint) returns double precision
language sql immutable parallel safe as
'select ((hashint8extended(id, :seed::bigint * 7919 + salt) >> 11) & 9007199254740991)::double precision
        / 9007199254740992.0';

-- An integer in [1, n].
create function pg_temp.ri(salt integer, id bigint, n bigint) returns integer
language sql immutable parallel safe as
'select 1 + floor(pg_temp.r(salt, id) * greatest(n, 1))::integer';

-- True for a fraction `rate` of the rows, and always for one row among ids 2..21 (chosen by
-- the salt), so that every data problem is present even at the smallest scales.
create function pg_temp.hit(salt integer, id bigint, rate double precision) returns boolean
language sql immutable parallel safe as
'select pg_temp.r(salt, id) < rate or id = 2 + salt % 20';

create function pg_temp.pick(salt integer, id bigint, choices text []) returns text
language sql immutable parallel safe as
'select choices[1 + floor(pg_temp.r(salt, id) * array_length(choices, 1))::integer]';

-- An id no row has: from 900,000,000 on, where no generated id lies (ids of moved blocks, from
-- 2,000,000,000 on, wrap round into that range, within the integer limit).
create function pg_temp.nowhere(id bigint) returns integer
language sql immutable parallel safe as
'select (900000000 + id % 100000000)::integer';

-- A reference to one of n parent rows, or (for a fraction `orphan_rate`) to no row at all.
create function pg_temp.ref(
    salt integer, id bigint, n bigint, orphan_rate double precision
) returns integer
language sql immutable parallel safe as
'select case when pg_temp.hit(salt + 1, id, orphan_rate) then pg_temp.nowhere(id)
             else pg_temp.ri(salt, id, n) end';

-- A local (America/Chicago) timestamp between 2014 and 2026; rows 20 and 21 and one in a
-- thousand fall inside a DST gap (spring forward) or overlap (fall back).
create function pg_temp.ts(salt integer, id bigint) returns timestamp
language sql immutable parallel safe as
'select case
    when id = 20 or pg_temp.r(salt + 1, id) < 0.0005
        then (array[date ''2019-03-10'', ''2020-03-08'', ''2021-03-14'', ''2022-03-13'', ''2023-03-12''])
                 [pg_temp.ri(salt + 2, id, 5)]
             + time ''02:00'' + pg_temp.ri(salt + 3, id, 3599) * interval ''1 second''
    when id = 21 or pg_temp.r(salt + 1, id) < 0.001
        then (array[date ''2019-11-03'', ''2020-11-01'', ''2021-11-07'', ''2022-11-06'', ''2023-11-05''])
                 [pg_temp.ri(salt + 2, id, 5)]
             + time ''01:00'' + pg_temp.ri(salt + 3, id, 3599) * interval ''1 second''
    else timestamp ''2014-01-01'' + pg_temp.ri(salt, id, 378691200) * interval ''1 second''
end';

-- A later save of a row created at `created`, never after the generation anchor.
create function pg_temp.later(salt integer, id bigint, created timestamp) returns timestamp
language sql immutable parallel safe as
'select created + (timestamp ''2026-01-01'' - created) * pg_temp.r(salt, id) ^ 4';

-- `modified` of a row saved at `created` and later (pg_temp.later), but for one row in two
-- thousand whose application server's clock was decades ahead (one, forced, in the year 2999),
-- and one in two thousand imported with no `modified` at all.
create function pg_temp.modified(salt integer, id bigint, created timestamp) returns timestamp
language sql immutable parallel safe as
'select case
    when id = 2 + (salt + 7000) % 20 then timestamp ''2999-12-31 23:00''
    when pg_temp.hit(salt + 7000, id, 0.0005)
        then timestamp ''2090-01-01'' + pg_temp.ri(salt + 7001, id, 3650) * interval ''1 day''
    when pg_temp.hit(salt + 7002, id, 0.0005) then null
    else pg_temp.later(salt, id, created)
end';

create function pg_temp.phone(salt integer, id bigint) returns text
language sql immutable parallel safe as
'select case pg_temp.ri(salt, id, 6)
    when 1 then format(''(%s) 555-%s'', 200 + pg_temp.ri(salt + 1, id, 799), lpad(pg_temp.ri(salt + 2, id, 9999)::text, 4, ''0''))
    when 2 then format(''%s-555-%s'', 200 + pg_temp.ri(salt + 1, id, 799), lpad(pg_temp.ri(salt + 2, id, 9999)::text, 4, ''0''))
    when 3 then format(''%s.555.%s'', 200 + pg_temp.ri(salt + 1, id, 799), lpad(pg_temp.ri(salt + 2, id, 9999)::text, 4, ''0''))
    when 4 then format(''+1 %s 555 %s'', 200 + pg_temp.ri(salt + 1, id, 799), lpad(pg_temp.ri(salt + 2, id, 9999)::text, 4, ''0''))
    when 5 then format(''%s555%s ext. %s'', 200 + pg_temp.ri(salt + 1, id, 799), lpad(pg_temp.ri(salt + 2, id, 9999)::text, 4, ''0''), pg_temp.ri(salt + 3, id, 99))
    else format(''%s555%s'', 200 + pg_temp.ri(salt + 1, id, 799), lpad(pg_temp.ri(salt + 2, id, 9999)::text, 4, ''0''))
end';

create function pg_temp.first_name(salt integer, id bigint) returns text
language sql immutable parallel safe as
'select pg_temp.pick(salt, id, array[
    ''James'', ''Mary'', ''Robert'', ''Patricia'', ''John'', ''Jennifer'', ''Michael'', ''Linda'',
    ''David'', ''Elizabeth'', ''William'', ''Barbara'', ''Richard'', ''Susan'', ''Joseph'', ''Jessica'',
    ''Thomas'', ''Sarah'', ''Carlos'', ''Karen'', ''Daniel'', ''Lisa'', ''Matthew'', ''Nancy'',
    ''Anthony'', ''Betty'', ''Mark'', ''Sandra'', ''Wei'', ''Ashley'', ''Jose'', ''Kimberly'',
    ''Andrew'', ''Emily'', ''Joshua'', ''Donna'', ''Kenji'', ''Michelle'', ''Priya'', ''Olga'']::text [])';

create function pg_temp.last_name(salt integer, id bigint) returns text
language sql immutable parallel safe as
'select pg_temp.pick(salt, id, array[
    ''Smith'', ''Johnson'', ''Williams'', ''Brown'', ''Jones'', ''Garcia'', ''Miller'', ''Davis'',
    ''Rodriguez'', ''Martinez'', ''Hernandez'', ''Lopez'', ''Gonzalez'', ''Wilson'', ''Anderson'',
    ''Thomas'', ''Taylor'', ''Moore'', ''Jackson'', ''Martin'', ''Lee'', ''Perez'', ''Thompson'',
    ''White'', ''Harris'', ''Sanchez'', ''Clark'', ''Ramirez'', ''Lewis'', ''Robinson'', ''Walker'',
    ''Young'', ''Allen'', ''King'', ''Wright'', ''Nguyen'', ''Hill'', ''Flores'', ''O''''Brien'', ''Kowalski'']::text [])';

-- A sentence of filler text, `words` words long.
create function pg_temp.words(salt integer, id bigint, words integer) returns text
language sql immutable parallel safe as
'select string_agg(pg_temp.pick(salt + w, id, array[
    ''aligner'', ''stage'', ''patient'', ''scan'', ''upper'', ''lower'', ''attachment'', ''refinement'',
    ''tray'', ''fit'', ''check'', ''ship'', ''review'', ''approved'', ''please'', ''update'', ''the'',
    ''with'', ''for'', ''and'', ''delay'', ''photos'', ''impression'', ''IPR'', ''crowding'']::text []), '' '')
 from generate_series(1, greatest(words, 1)) as w';

-- An optional reference: NULL for a fraction `null_rate`, an orphan for `orphan_rate`.
create function pg_temp.optref(
    salt integer, id bigint, n bigint, null_rate double precision, orphan_rate double precision
) returns integer
language sql immutable parallel safe as
'select case when pg_temp.hit(salt + 1, id, orphan_rate) then pg_temp.nowhere(id)
             when pg_temp.r(salt + 2, id) < null_rate then null
             else pg_temp.ri(salt, id, n) end';
