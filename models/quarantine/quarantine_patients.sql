{{ quarantine_rows(ref('int_patients__validated'), 'patients', 'dispatch_patient') }}
