{{ quarantine_rows(ref('int_case_states__validated'), 'case_states', 'dispatch_casestate') }}
