{{ quarantine_rows(ref('int_case_messages__validated'), 'case_messages', 'dispatch_case_messages') }}
