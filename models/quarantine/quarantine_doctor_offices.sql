{{ quarantine_rows(ref('int_doctor_offices__validated'), 'doctor_offices', 'dispatch_doctor_offices') }}
