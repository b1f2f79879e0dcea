{{ quarantine_rows(ref('int_doctor_notes__validated'), 'doctor_notes', 'dispatch_doctornote') }}
