{{ quarantine_rows(ref('int_profiles__validated'), 'profiles', none) }}
