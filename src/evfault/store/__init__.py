"""Storage: the contract (model.py) and the SQL store behind it (sql.py: `open_store`).

SQLite by default, PostgreSQL for many nodes; schema in schema.py, migrations in migrations/,
group commit in writer.py. See docs/storage.md.
"""
