-- The typo tier of ranked search on Postgres, index-backed (DuckDB skips these): a value
-- is a typo candidate when it starts with the query's first three letters (the trigram
-- index of 0007 answers that) or with its first letter at a close length. For the second
-- test a btree on (first letter, length) of every search field reads exactly those rows;
-- the trigram index could only offer every value holding a word that starts with that
-- letter (1.6 million rows at 1e7 labels, 10.9 s; decisions §21).
-- requires: pattern_indexes
CREATE INDEX "dataset_name_typo" ON "dataset" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "dataset_description_typo" ON "dataset" ((left(lower(coalesce(description, '')), 1)), (length(lower(coalesce(description, '')))));
-- requires: pattern_indexes
CREATE INDEX "feature_name_typo" ON "feature" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "feature_description_typo" ON "feature" ((left(lower(coalesce(description, '')), 1)), (length(lower(coalesce(description, '')))));
-- requires: pattern_indexes
CREATE INDEX "feature_synonyms_typo" ON "feature" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "feature_set_name_typo" ON "feature_set" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "file_key_typo" ON "file" ((left(lower(coalesce(key, '')), 1)), (length(lower(coalesce(key, '')))));
-- requires: pattern_indexes
CREATE INDEX "file_description_typo" ON "file" ((left(lower(coalesce(description, '')), 1)), (length(lower(coalesce(description, '')))));
-- requires: pattern_indexes
CREATE INDEX "modality_name_typo" ON "modality" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "modality_synonyms_typo" ON "modality" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "run_name_typo" ON "run" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "run_uid_typo" ON "run" ((left(lower(coalesce(uid, '')), 1)), (length(lower(coalesce(uid, '')))));
-- requires: pattern_indexes
CREATE INDEX "storage_root_typo" ON "storage" ((left(lower(coalesce(root, '')), 1)), (length(lower(coalesce(root, '')))));
-- requires: pattern_indexes
CREATE INDEX "storage_description_typo" ON "storage" ((left(lower(coalesce(description, '')), 1)), (length(lower(coalesce(description, '')))));
-- requires: pattern_indexes
CREATE INDEX "transform_name_typo" ON "transform" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "transform_short_name_typo" ON "transform" ((left(lower(coalesce(short_name, '')), 1)), (length(lower(coalesce(short_name, '')))));
-- requires: pattern_indexes
CREATE INDEX "transform_description_typo" ON "transform" ((left(lower(coalesce(description, '')), 1)), (length(lower(coalesce(description, '')))));
-- requires: pattern_indexes
CREATE INDEX "ulabel_name_typo" ON "ulabel" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "user_handle_typo" ON "user" ((left(lower(coalesce(handle, '')), 1)), (length(lower(coalesce(handle, '')))));
-- requires: pattern_indexes
CREATE INDEX "user_name_typo" ON "user" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
