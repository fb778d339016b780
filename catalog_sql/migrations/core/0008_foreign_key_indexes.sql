-- Postgres: an index on every foreign-key column and on the second column of every link
-- table (the first leads its primary key), as Django creates them. Filters through
-- relations (File.filter(ulabels__name=...), ULabel.filter(created_by__handle=...)) and
-- reverse lookups (label.files, run.output files) then read an index instead of scanning
-- the registry or the link table. DuckDB skips them: its ART indexes slow bulk inserts
-- and its scans of an integer column are fast (decisions §19). initial_version_id is
-- served by the version family's unique index (COALESCE(initial_version_id, id)).
-- requires: fk_indexes
CREATE INDEX "dataset_storage_id_fk" ON "dataset" (storage_id);
-- requires: fk_indexes
CREATE INDEX "dataset_file_id_fk" ON "dataset" (file_id);
-- requires: fk_indexes
CREATE INDEX "dataset_transform_id_fk" ON "dataset" (transform_id);
-- requires: fk_indexes
CREATE INDEX "dataset_run_id_fk" ON "dataset" (run_id);
-- requires: fk_indexes
CREATE INDEX "dataset_created_by_id_fk" ON "dataset" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "dataset_file_file_id_fk" ON "dataset_file" (file_id);
-- requires: fk_indexes
CREATE INDEX "dataset_ulabel_ulabel_id_fk" ON "dataset_ulabel" (ulabel_id);
-- requires: fk_indexes
CREATE INDEX "dataset_feature_set_feature_set_id_fk" ON "dataset_feature_set" (feature_set_id);
-- requires: fk_indexes
CREATE INDEX "run_input_dataset_dataset_id_fk" ON "run_input_dataset" (dataset_id);
-- requires: fk_indexes
CREATE INDEX "feature_created_by_id_fk" ON "feature" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "feature_set_feature_feature_id_fk" ON "feature_set_feature" (feature_id);
-- requires: fk_indexes
CREATE INDEX "feature_set_created_by_id_fk" ON "feature_set" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "file_feature_set_feature_set_id_fk" ON "file_feature_set" (feature_set_id);
-- requires: fk_indexes
CREATE INDEX "file_storage_id_fk" ON "file" (storage_id);
-- requires: fk_indexes
CREATE INDEX "file_transform_id_fk" ON "file" (transform_id);
-- requires: fk_indexes
CREATE INDEX "file_run_id_fk" ON "file" (run_id);
-- requires: fk_indexes
CREATE INDEX "file_created_by_id_fk" ON "file" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "file_ulabel_ulabel_id_fk" ON "file_ulabel" (ulabel_id);
-- requires: fk_indexes
CREATE INDEX "file_modality_modality_id_fk" ON "file_modality" (modality_id);
-- requires: fk_indexes
CREATE INDEX "file_recreating_run_run_id_fk" ON "file_recreating_run" (run_id);
-- requires: fk_indexes
CREATE INDEX "run_input_file_file_id_fk" ON "run_input_file" (file_id);
-- requires: fk_indexes
CREATE INDEX "modality_created_by_id_fk" ON "modality" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "run_transform_id_fk" ON "run" (transform_id);
-- requires: fk_indexes
CREATE INDEX "run_report_id_fk" ON "run" (report_id);
-- requires: fk_indexes
CREATE INDEX "run_created_by_id_fk" ON "run" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "storage_created_by_id_fk" ON "storage" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "transform_source_code_id_fk" ON "transform" (source_code_id);
-- requires: fk_indexes
CREATE INDEX "transform_created_by_id_fk" ON "transform" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "ulabel_created_by_id_fk" ON "ulabel" (created_by_id);
-- requires: fk_indexes
CREATE INDEX "ulabel_parent_parent_id_fk" ON "ulabel_parent" (parent_id);
