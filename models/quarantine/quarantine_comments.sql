{{ quarantine_rows(ref('int_comments__validated'), 'comments', 'dispatch_comment') }}
