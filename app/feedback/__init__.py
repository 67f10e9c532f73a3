"""Users' verdicts on answers (``POST /feedback``), kept in SQLite and turned into gold questions."""
