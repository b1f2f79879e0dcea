{{ quarantine_rows(
    ref('int_message_attachments__validated'), 'message_attachments', 'dispatch_record_attachment'
) }}
