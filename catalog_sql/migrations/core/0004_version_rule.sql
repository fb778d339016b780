-- The version rule (lakecat/versions.py), enforced by the database where it can be.
-- A family is COALESCE(initial_version_id, id). Version numbers are unique in a family
-- on both back ends; one latest per family needs a partial index (Postgres only; the
-- embedded catalog admits one writer at a time and checks inside the transaction).
-- Same bytes are one File: a unique hash makes concurrent saves of the same bytes
-- return one record (insert, or on conflict get the existing one).
CREATE UNIQUE INDEX "file_family_version" ON "file" ((COALESCE(initial_version_id, id)), version);
CREATE UNIQUE INDEX "transform_family_version" ON "transform" ((COALESCE(initial_version_id, id)), version);
CREATE UNIQUE INDEX "dataset_family_version" ON "dataset" ((COALESCE(initial_version_id, id)), version);
CREATE UNIQUE INDEX "file_hash" ON "file" (hash);
-- requires: partial_indexes
CREATE UNIQUE INDEX "file_one_latest" ON "file" ((COALESCE(initial_version_id, id))) WHERE is_latest;
-- requires: partial_indexes
CREATE UNIQUE INDEX "transform_one_latest" ON "transform" ((COALESCE(initial_version_id, id))) WHERE is_latest;
-- requires: partial_indexes
CREATE UNIQUE INDEX "dataset_one_latest" ON "dataset" ((COALESCE(initial_version_id, id))) WHERE is_latest;
-- requires: partial_indexes
CREATE UNIQUE INDEX "file_latest_key" ON "file" (key) WHERE is_latest AND key IS NOT NULL;
-- requires: partial_indexes
CREATE UNIQUE INDEX "dataset_latest_name" ON "dataset" (name) WHERE is_latest;
-- A run that re-created a File's bytes is recorded as a producer too (lineage of reruns).
CREATE TABLE "file_recreating_run" (
    file_id BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    PRIMARY KEY (file_id, run_id)
);
