-- Index-backed text lookups on Postgres (DuckDB scans its columns fast enough and has no
-- such indexes; there these statements are skipped):
--   prefix filters (name__startswith='T')  -> btree text_pattern_ops on the column
--   the near-duplicate check of one save   -> btree on lower(trim(name field))
--   ranked search (Registry.search)        -> pg_trgm GIN on lower(coalesce(field, ''))
-- The pg_trgm extension is created by the back end before migrating (backend.prepare()).
-- requires: pattern_indexes
CREATE INDEX "file_key_prefix" ON "file" (key text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "dataset_name_prefix" ON "dataset" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "transform_name_prefix" ON "transform" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_name_prefix" ON "feature" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_set_name_prefix" ON "feature_set" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "run_name_prefix" ON "run" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "ulabel_name_prefix" ON "ulabel" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "modality_name_prefix" ON "modality" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "storage_root_prefix" ON "storage" (root text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "user_handle_prefix" ON "user" (handle text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "ulabel_name_near" ON "ulabel" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "modality_name_near" ON "modality" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "storage_root_near" ON "storage" ((lower(trim(root))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "user_handle_near" ON "user" ((lower(trim(handle))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "dataset_name_trgm" ON "dataset" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "dataset_description_trgm" ON "dataset" USING gin ((lower(coalesce(description, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_name_trgm" ON "feature" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_description_trgm" ON "feature" USING gin ((lower(coalesce(description, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_synonyms_trgm" ON "feature" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "feature_set_name_trgm" ON "feature_set" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "file_key_trgm" ON "file" USING gin ((lower(coalesce(key, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "file_description_trgm" ON "file" USING gin ((lower(coalesce(description, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "modality_name_trgm" ON "modality" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "modality_synonyms_trgm" ON "modality" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "run_name_trgm" ON "run" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "run_uid_trgm" ON "run" USING gin ((lower(coalesce(uid, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "storage_root_trgm" ON "storage" USING gin ((lower(coalesce(root, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "storage_description_trgm" ON "storage" USING gin ((lower(coalesce(description, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "transform_name_trgm" ON "transform" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "transform_short_name_trgm" ON "transform" USING gin ((lower(coalesce(short_name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "transform_description_trgm" ON "transform" USING gin ((lower(coalesce(description, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "ulabel_name_trgm" ON "ulabel" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "user_handle_trgm" ON "user" USING gin ((lower(coalesce(handle, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "user_name_trgm" ON "user" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
