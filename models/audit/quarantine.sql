-- Every quarantined legacy row of every entity, with its reason code and original values.
{{ union_relations([
    ref('quarantine_offices'),
    ref('quarantine_categories'),
    ref('quarantine_profiles'),
]) }}
