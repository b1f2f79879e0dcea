{{ quarantine_rows(ref('int_files__validated'), 'files', 'dispatch_file') }}
