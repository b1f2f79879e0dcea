{{ quarantine_rows(ref('int_jaws__validated'), 'jaws', 'dispatch_jaw') }}
