{{ quarantine_rows(ref('int_case_files__validated'), 'case_files', 'dispatch_case_files') }}
