{#-
    Every (target entity, legacy table) pair the migration accounts for, in phase order: the
    staging model that reads the legacy table, the entity's column that holds the legacy id
    (migrated_key, legacy_id unless said), and, where a row can be merged into another instead
    of migrated, has_merges. The audit models (reconciliation, quarantine,
    data_quality_issues) are built from this list; the validated model of an entity is always
    int_<entity>__validated and its quarantine quarantine_<entity>.
-#}
{% macro entity_registry() %}
    {{ return([
        {'entity': 'offices', 'legacy_table': 'dispatch_office', 'staged': 'stg_legacy__office'},
        {'entity': 'categories', 'legacy_table': 'dispatch_category', 'staged': 'stg_legacy__category'},
        {'entity': 'profiles', 'legacy_table': 'auth_user', 'staged': 'stg_legacy__auth_user'},
        {'entity': 'profiles', 'legacy_table': 'dispatch_userprofile', 'staged': 'stg_legacy__userprofile',
            'migrated_key': 'userprofile_legacy_id'},
        {'entity': 'doctors', 'legacy_table': 'dispatch_doctor', 'staged': 'stg_legacy__doctor'},
        {'entity': 'patients', 'legacy_table': 'dispatch_patient', 'staged': 'stg_legacy__patient'},
        {'entity': 'orders', 'legacy_table': 'dispatch_order', 'staged': 'stg_legacy__order'},
        {'entity': 'products', 'legacy_table': 'dispatch_product', 'staged': 'stg_legacy__product'},
        {'entity': 'tasks', 'legacy_table': 'dispatch_task', 'staged': 'stg_legacy__task'},
        {'entity': 'cases', 'legacy_table': 'dispatch_case', 'staged': 'stg_legacy__case'},
        {'entity': 'messages', 'legacy_table': 'dispatch_record', 'staged': 'stg_legacy__record'},
        {'entity': 'files', 'legacy_table': 'dispatch_file', 'staged': 'stg_legacy__file'},
        {'entity': 'offers', 'legacy_table': 'dispatch_offer', 'staged': 'stg_legacy__offer'},
        {'entity': 'discounts', 'legacy_table': 'dispatch_discount', 'staged': 'stg_legacy__discount',
            'has_merges': true},
        {'entity': 'payments', 'legacy_table': 'dispatch_payment', 'staged': 'stg_legacy__payment'},
        {'entity': 'purchases', 'legacy_table': 'dispatch_purchase', 'staged': 'stg_legacy__purchase'},
        {'entity': 'jaws', 'legacy_table': 'dispatch_jaw', 'staged': 'stg_legacy__jaw'},
        {'entity': 'treatment_plans', 'legacy_table': 'dispatch_plan', 'staged': 'stg_legacy__plan'},
        {'entity': 'projects', 'legacy_table': 'dispatch_project', 'staged': 'stg_legacy__project'},
        {'entity': 'doctor_notes', 'legacy_table': 'dispatch_doctornote', 'staged': 'stg_legacy__doctornote'},
        {'entity': 'comments', 'legacy_table': 'dispatch_comment', 'staged': 'stg_legacy__comment'},
        {'entity': 'technician_roles', 'legacy_table': 'dispatch_technicianrole',
            'staged': 'stg_legacy__technicianrole'},
        {'entity': 'communications', 'legacy_table': 'dispatch_communication',
            'staged': 'stg_legacy__communication'},
        {'entity': 'customer_feedback', 'legacy_table': 'dispatch_feedback', 'staged': 'stg_legacy__feedback'},
        {'entity': 'case_states', 'legacy_table': 'dispatch_casestate', 'staged': 'stg_legacy__casestate'},
        {'entity': 'case_messages', 'legacy_table': 'dispatch_case_messages',
            'staged': 'stg_legacy__case_messages', 'has_merges': true},
        {'entity': 'case_files', 'legacy_table': 'dispatch_case_files', 'staged': 'stg_legacy__case_files',
            'has_merges': true},
        {'entity': 'message_attachments', 'legacy_table': 'dispatch_record_attachment',
            'staged': 'stg_legacy__record_attachment'},
        {'entity': 'doctor_offices', 'legacy_table': 'dispatch_doctor_offices',
            'staged': 'stg_legacy__doctor_offices', 'has_merges': true},
    ]) }}
{% endmacro %}
