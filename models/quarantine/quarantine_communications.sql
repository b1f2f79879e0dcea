{{ quarantine_rows(ref('int_communications__validated'), 'communications', 'dispatch_communication') }}
