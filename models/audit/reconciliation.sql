-- Where every legacy row went, per target entity and legacy table. unexplained_rows must be 0.
{{ reconciliation_counts('offices', 'dispatch_office', ref('stg_legacy__office'), ref('offices'), ref('quarantine_offices')) }}
union all
{{ reconciliation_counts('categories', 'dispatch_category', ref('stg_legacy__category'), ref('categories'), ref('quarantine_categories')) }}
union all
{{ reconciliation_counts('profiles', 'auth_user', ref('stg_legacy__auth_user'), ref('profiles'), ref('quarantine_profiles')) }}
union all
{{ reconciliation_counts('profiles', 'dispatch_userprofile', ref('stg_legacy__userprofile'), ref('profiles'), ref('quarantine_profiles'), migrated_where='userprofile_legacy_id is not null') }}
