-- lakecat core schema, version 0001.
-- Portable DDL: written once, rendered for DuckDB and PostgreSQL by sqlglot.
-- Relations are plain BIGINT columns; lakecat keeps referential integrity itself
-- (see docs/decisions.md: DuckDB foreign keys block updates and deletes).

CREATE SEQUENCE "user_id_seq";
CREATE TABLE "user" (
    id BIGINT PRIMARY KEY DEFAULT nextval('user_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    handle VARCHAR NOT NULL UNIQUE,
    name VARCHAR,
    email VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ
);

CREATE SEQUENCE "storage_id_seq";
CREATE TABLE "storage" (
    id BIGINT PRIMARY KEY DEFAULT nextval('storage_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    root VARCHAR NOT NULL UNIQUE,
    description VARCHAR,
    type VARCHAR,
    region VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE SEQUENCE "transform_id_seq";
CREATE TABLE "transform" (
    id BIGINT PRIMARY KEY DEFAULT nextval('transform_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    short_name VARCHAR,
    description VARCHAR,
    version VARCHAR,
    type VARCHAR,
    reference VARCHAR,
    reference_type VARCHAR,
    source_hash VARCHAR,
    source_code_id BIGINT,
    initial_version_id BIGINT,
    is_latest BOOLEAN,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE SEQUENCE "run_id_seq";
CREATE TABLE "run" (
    id BIGINT PRIMARY KEY DEFAULT nextval('run_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    transform_id BIGINT,
    name VARCHAR,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    status VARCHAR,
    error VARCHAR,
    params JSON,
    environment JSON,
    reference VARCHAR,
    reference_type VARCHAR,
    report_id BIGINT,
    is_consecutive BOOLEAN,
    created_at TIMESTAMPTZ NOT NULL,
    created_by_id BIGINT
);

CREATE SEQUENCE "file_id_seq";
CREATE TABLE "file" (
    id BIGINT PRIMARY KEY DEFAULT nextval('file_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    storage_id BIGINT,
    key VARCHAR,
    suffix VARCHAR,
    accessor VARCHAR,
    description VARCHAR,
    version VARCHAR,
    size BIGINT,
    hash VARCHAR,
    hash_type VARCHAR,
    n_objects BIGINT,
    transform_id BIGINT,
    run_id BIGINT,
    initial_version_id BIGINT,
    is_latest BOOLEAN,
    visibility INTEGER,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE SEQUENCE "dataset_id_seq";
CREATE TABLE "dataset" (
    id BIGINT PRIMARY KEY DEFAULT nextval('dataset_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    description VARCHAR,
    version VARCHAR,
    hash VARCHAR,
    reference VARCHAR,
    reference_type VARCHAR,
    format VARCHAR,
    storage_id BIGINT,
    key VARCHAR,
    file_id BIGINT,
    delta_version BIGINT,
    n_rows BIGINT,
    transform_id BIGINT,
    run_id BIGINT,
    initial_version_id BIGINT,
    is_latest BOOLEAN,
    visibility INTEGER,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE SEQUENCE "feature_id_seq";
CREATE TABLE "feature" (
    id BIGINT PRIMARY KEY DEFAULT nextval('feature_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    type VARCHAR,
    unit VARCHAR,
    description VARCHAR,
    synonyms VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE SEQUENCE "feature_set_id_seq";
CREATE TABLE "feature_set" (
    id BIGINT PRIMARY KEY DEFAULT nextval('feature_set_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR,
    n INTEGER,
    type VARCHAR,
    registry VARCHAR,
    hash VARCHAR UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE SEQUENCE "ulabel_id_seq";
CREATE TABLE "ulabel" (
    id BIGINT PRIMARY KEY DEFAULT nextval('ulabel_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL UNIQUE,
    description VARCHAR,
    reference VARCHAR,
    reference_type VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE SEQUENCE "modality_id_seq";
CREATE TABLE "modality" (
    id BIGINT PRIMARY KEY DEFAULT nextval('modality_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL UNIQUE,
    ontology_id VARCHAR,
    abbr VARCHAR,
    synonyms VARCHAR,
    description VARCHAR,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);

CREATE TABLE "file_ulabel" (
    file_id BIGINT NOT NULL,
    ulabel_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (file_id, ulabel_id)
);

CREATE TABLE "file_feature_set" (
    file_id BIGINT NOT NULL,
    feature_set_id BIGINT NOT NULL,
    slot VARCHAR,
    PRIMARY KEY (file_id, feature_set_id)
);

CREATE TABLE "feature_set_feature" (
    feature_set_id BIGINT NOT NULL,
    feature_id BIGINT NOT NULL,
    PRIMARY KEY (feature_set_id, feature_id)
);

CREATE TABLE "dataset_file" (
    dataset_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, file_id)
);

CREATE TABLE "dataset_ulabel" (
    dataset_id BIGINT NOT NULL,
    ulabel_id BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, ulabel_id)
);

CREATE TABLE "dataset_feature_set" (
    dataset_id BIGINT NOT NULL,
    feature_set_id BIGINT NOT NULL,
    slot VARCHAR,
    PRIMARY KEY (dataset_id, feature_set_id)
);

CREATE TABLE "run_input_file" (
    run_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    PRIMARY KEY (run_id, file_id)
);

CREATE TABLE "run_input_dataset" (
    run_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    PRIMARY KEY (run_id, dataset_id)
);

CREATE TABLE "ulabel_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);

CREATE TABLE "file_modality" (
    file_id BIGINT NOT NULL,
    modality_id BIGINT NOT NULL,
    PRIMARY KEY (file_id, modality_id)
);

CREATE TABLE "lakecat_setting" (
    key VARCHAR PRIMARY KEY,
    value VARCHAR
);
