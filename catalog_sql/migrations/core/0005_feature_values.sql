-- Labels are tied to the feature they annotate (dataset links, like file links already),
-- and features carry values: one row per distinct (feature, value), linked to Files and
-- Datasets. Numbers (ints too) are compared as value_float; text, booleans and times in
-- their own columns, so filters on values are plain SQL comparisons.
ALTER TABLE "dataset_ulabel" ADD COLUMN feature_id BIGINT;
CREATE SEQUENCE "feature_value_id_seq";
CREATE TABLE "feature_value" (
    id BIGINT PRIMARY KEY DEFAULT nextval('feature_value_id_seq'),
    feature_id BIGINT NOT NULL,
    value_str VARCHAR,
    value_float DOUBLE PRECISION,
    value_bool BOOLEAN,
    value_datetime TIMESTAMPTZ,
    value_json JSON,
    hash VARCHAR NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX "feature_value_feature" ON "feature_value" (feature_id);
CREATE TABLE "file_feature_value" (
    file_id BIGINT NOT NULL,
    feature_value_id BIGINT NOT NULL,
    PRIMARY KEY (file_id, feature_value_id)
);
CREATE TABLE "dataset_feature_value" (
    dataset_id BIGINT NOT NULL,
    feature_value_id BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, feature_value_id)
);
