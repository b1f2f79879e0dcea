{{ quarantine_rows(ref('int_cases__validated'), 'cases', 'dispatch_case') }}
