{{ quarantine_rows(ref('int_doctors__validated'), 'doctors', 'dispatch_doctor') }}
