{{ quarantine_rows(ref('int_messages__validated'), 'messages', 'dispatch_record') }}
