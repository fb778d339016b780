"""SQL and the database: DDL, migrations, the query compiler and the back ends.

This package knows nothing of the ``lakecat`` domain layer; it works on the small
table model in :mod:`catalog_sql.model`.
"""
