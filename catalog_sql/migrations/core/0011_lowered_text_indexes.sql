-- Case-insensitive prefix and equality filters on Postgres (name__istartswith='T',
-- name__iexact='t cell'; DuckDB scans and skips these). Both compile with a guard on
-- lower(coalesce(field, '')) (catalog_sql/lookups.py) that a btree with text_pattern_ops
-- answers as a range (LIKE 'q%') or a point, whatever the database's collation. Before it,
-- istartswith went through the trigram index: 1.1 s for a 30-character prefix at 1e7
-- labels, 0.2 ms with it; iexact scanned the table.
-- requires: pattern_indexes
CREATE INDEX "file_key_lower" ON "file" ((lower(coalesce(key, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "dataset_name_lower" ON "dataset" ((lower(coalesce(name, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "transform_name_lower" ON "transform" ((lower(coalesce(name, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_name_lower" ON "feature" ((lower(coalesce(name, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_set_name_lower" ON "feature_set" ((lower(coalesce(name, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "run_name_lower" ON "run" ((lower(coalesce(name, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "ulabel_name_lower" ON "ulabel" ((lower(coalesce(name, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "modality_name_lower" ON "modality" ((lower(coalesce(name, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "storage_root_lower" ON "storage" ((lower(coalesce(root, ''))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "user_handle_lower" ON "user" ((lower(coalesce(handle, ''))) text_pattern_ops);
