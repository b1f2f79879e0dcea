{{ quarantine_rows(ref('int_projects__validated'), 'projects', 'dispatch_project') }}
