-- lakecat.bio schema, version 0001: the ontology registries and their link tables.
-- Generated from lakecat/bio/registries.py by lakecat.core.modules (ddl.plan); portable
-- DDL rendered for DuckDB and PostgreSQL by sqlglot. Never edit an applied migration:
-- add 0002_… (lakecat migrate create bio).
CREATE SEQUENCE "source_id_seq";
CREATE TABLE "source" (
    id BIGINT PRIMARY KEY DEFAULT nextval('source_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    entity VARCHAR NOT NULL,
    organism VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    key VARCHAR NOT NULL UNIQUE,
    url VARCHAR,
    provider VARCHAR,
    description VARCHAR,
    currently_used BOOLEAN,
    n_terms BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE SEQUENCE "organism_id_seq";
CREATE TABLE "organism" (
    id BIGINT PRIMARY KEY DEFAULT nextval('organism_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    scientific_name VARCHAR,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "organism_name" ON "organism" (name);
CREATE INDEX "organism_scientific_name" ON "organism" (scientific_name);
CREATE SEQUENCE "gene_id_seq";
CREATE TABLE "gene" (
    id BIGINT PRIMARY KEY DEFAULT nextval('gene_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    symbol VARCHAR,
    stable_id VARCHAR,
    ensembl_gene_id VARCHAR UNIQUE,
    ncbi_gene_ids VARCHAR,
    biotype VARCHAR,
    synonyms VARCHAR,
    description VARCHAR,
    organism_id BIGINT,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "gene_symbol" ON "gene" (symbol);
CREATE SEQUENCE "protein_id_seq";
CREATE TABLE "protein" (
    id BIGINT PRIMARY KEY DEFAULT nextval('protein_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    uniprotkb_id VARCHAR UNIQUE,
    synonyms VARCHAR,
    length BIGINT,
    gene_symbol VARCHAR,
    ensembl_gene_ids VARCHAR,
    description VARCHAR,
    organism_id BIGINT,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "protein_name" ON "protein" (name);
CREATE SEQUENCE "cell_marker_id_seq";
CREATE TABLE "cell_marker" (
    id BIGINT PRIMARY KEY DEFAULT nextval('cell_marker_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL UNIQUE,
    ontology_id VARCHAR UNIQUE,
    synonyms VARCHAR,
    gene_symbol VARCHAR,
    ncbi_gene_id VARCHAR,
    uniprotkb_id VARCHAR,
    description VARCHAR,
    organism_id BIGINT,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE SEQUENCE "cell_type_id_seq";
CREATE TABLE "cell_type" (
    id BIGINT PRIMARY KEY DEFAULT nextval('cell_type_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "cell_type_name" ON "cell_type" (name);
CREATE SEQUENCE "cell_line_id_seq";
CREATE TABLE "cell_line" (
    id BIGINT PRIMARY KEY DEFAULT nextval('cell_line_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "cell_line_name" ON "cell_line" (name);
CREATE SEQUENCE "tissue_id_seq";
CREATE TABLE "tissue" (
    id BIGINT PRIMARY KEY DEFAULT nextval('tissue_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "tissue_name" ON "tissue" (name);
CREATE SEQUENCE "disease_id_seq";
CREATE TABLE "disease" (
    id BIGINT PRIMARY KEY DEFAULT nextval('disease_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "disease_name" ON "disease" (name);
CREATE SEQUENCE "phenotype_id_seq";
CREATE TABLE "phenotype" (
    id BIGINT PRIMARY KEY DEFAULT nextval('phenotype_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "phenotype_name" ON "phenotype" (name);
CREATE SEQUENCE "pathway_id_seq";
CREATE TABLE "pathway" (
    id BIGINT PRIMARY KEY DEFAULT nextval('pathway_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "pathway_name" ON "pathway" (name);
CREATE SEQUENCE "experimental_factor_id_seq";
CREATE TABLE "experimental_factor" (
    id BIGINT PRIMARY KEY DEFAULT nextval('experimental_factor_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "experimental_factor_name" ON "experimental_factor" (name);
CREATE SEQUENCE "developmental_stage_id_seq";
CREATE TABLE "developmental_stage" (
    id BIGINT PRIMARY KEY DEFAULT nextval('developmental_stage_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "developmental_stage_name" ON "developmental_stage" (name);
CREATE SEQUENCE "ethnicity_id_seq";
CREATE TABLE "ethnicity" (
    id BIGINT PRIMARY KEY DEFAULT nextval('ethnicity_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "ethnicity_name" ON "ethnicity" (name);
CREATE SEQUENCE "compound_id_seq";
CREATE TABLE "compound" (
    id BIGINT PRIMARY KEY DEFAULT nextval('compound_id_seq'),
    uid VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    ontology_id VARCHAR UNIQUE,
    abbr VARCHAR UNIQUE,
    synonyms VARCHAR,
    description VARCHAR,
    source_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ,
    created_by_id BIGINT
);
CREATE INDEX "compound_name" ON "compound" (name);
CREATE TABLE "organism_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_organism" (
    organism_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (organism_id, file_id)
);
CREATE TABLE "dataset_organism" (
    organism_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (organism_id, dataset_id)
);
CREATE TABLE "file_gene" (
    gene_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (gene_id, file_id)
);
CREATE TABLE "dataset_gene" (
    gene_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (gene_id, dataset_id)
);
CREATE TABLE "file_protein" (
    protein_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (protein_id, file_id)
);
CREATE TABLE "dataset_protein" (
    protein_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (protein_id, dataset_id)
);
CREATE TABLE "file_cell_marker" (
    cell_marker_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (cell_marker_id, file_id)
);
CREATE TABLE "dataset_cell_marker" (
    cell_marker_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (cell_marker_id, dataset_id)
);
CREATE TABLE "cell_type_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_cell_type" (
    cell_type_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (cell_type_id, file_id)
);
CREATE TABLE "dataset_cell_type" (
    cell_type_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (cell_type_id, dataset_id)
);
CREATE TABLE "cell_line_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_cell_line" (
    cell_line_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (cell_line_id, file_id)
);
CREATE TABLE "dataset_cell_line" (
    cell_line_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (cell_line_id, dataset_id)
);
CREATE TABLE "tissue_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_tissue" (
    tissue_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (tissue_id, file_id)
);
CREATE TABLE "dataset_tissue" (
    tissue_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (tissue_id, dataset_id)
);
CREATE TABLE "disease_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_disease" (
    disease_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (disease_id, file_id)
);
CREATE TABLE "dataset_disease" (
    disease_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (disease_id, dataset_id)
);
CREATE TABLE "phenotype_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_phenotype" (
    phenotype_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (phenotype_id, file_id)
);
CREATE TABLE "dataset_phenotype" (
    phenotype_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (phenotype_id, dataset_id)
);
CREATE TABLE "pathway_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_pathway" (
    pathway_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (pathway_id, file_id)
);
CREATE TABLE "dataset_pathway" (
    pathway_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (pathway_id, dataset_id)
);
CREATE TABLE "experimental_factor_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_experimental_factor" (
    experimental_factor_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (experimental_factor_id, file_id)
);
CREATE TABLE "dataset_experimental_factor" (
    experimental_factor_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (experimental_factor_id, dataset_id)
);
CREATE TABLE "developmental_stage_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_developmental_stage" (
    developmental_stage_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (developmental_stage_id, file_id)
);
CREATE TABLE "dataset_developmental_stage" (
    developmental_stage_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (developmental_stage_id, dataset_id)
);
CREATE TABLE "ethnicity_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_ethnicity" (
    ethnicity_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (ethnicity_id, file_id)
);
CREATE TABLE "dataset_ethnicity" (
    ethnicity_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (ethnicity_id, dataset_id)
);
CREATE TABLE "compound_parent" (
    child_id BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    PRIMARY KEY (child_id, parent_id)
);
CREATE TABLE "file_compound" (
    compound_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (compound_id, file_id)
);
CREATE TABLE "dataset_compound" (
    compound_id BIGINT NOT NULL,
    dataset_id BIGINT NOT NULL,
    feature_id BIGINT,
    PRIMARY KEY (compound_id, dataset_id)
);
