{{ quarantine_rows(ref('int_offices__validated'), 'offices', 'dispatch_office') }}
