{{ quarantine_rows(ref('int_tasks__validated'), 'tasks', 'dispatch_task') }}
