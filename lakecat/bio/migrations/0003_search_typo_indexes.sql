-- The typo tier of ranked search on Postgres for the bio registries (as core's 0009;
-- skipped on DuckDB): a btree on (first letter, length) of every search field.
-- requires: pattern_indexes
CREATE INDEX "cell_line_name_typo" ON "cell_line" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_line_synonyms_typo" ON "cell_line" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_line_ontology_id_typo" ON "cell_line" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_line_abbr_typo" ON "cell_line" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_marker_name_typo" ON "cell_marker" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_marker_synonyms_typo" ON "cell_marker" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_marker_gene_symbol_typo" ON "cell_marker" ((left(lower(coalesce(gene_symbol, '')), 1)), (length(lower(coalesce(gene_symbol, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_type_name_typo" ON "cell_type" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_type_synonyms_typo" ON "cell_type" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_type_ontology_id_typo" ON "cell_type" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "cell_type_abbr_typo" ON "cell_type" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "compound_name_typo" ON "compound" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "compound_synonyms_typo" ON "compound" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "compound_ontology_id_typo" ON "compound" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "compound_abbr_typo" ON "compound" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_name_typo" ON "developmental_stage" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_synonyms_typo" ON "developmental_stage" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_ontology_id_typo" ON "developmental_stage" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_abbr_typo" ON "developmental_stage" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "disease_name_typo" ON "disease" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "disease_synonyms_typo" ON "disease" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "disease_ontology_id_typo" ON "disease" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "disease_abbr_typo" ON "disease" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "ethnicity_name_typo" ON "ethnicity" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "ethnicity_synonyms_typo" ON "ethnicity" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "ethnicity_ontology_id_typo" ON "ethnicity" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "ethnicity_abbr_typo" ON "ethnicity" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_name_typo" ON "experimental_factor" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_synonyms_typo" ON "experimental_factor" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_ontology_id_typo" ON "experimental_factor" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_abbr_typo" ON "experimental_factor" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "gene_symbol_typo" ON "gene" ((left(lower(coalesce(symbol, '')), 1)), (length(lower(coalesce(symbol, '')))));
-- requires: pattern_indexes
CREATE INDEX "gene_synonyms_typo" ON "gene" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "gene_ensembl_gene_id_typo" ON "gene" ((left(lower(coalesce(ensembl_gene_id, '')), 1)), (length(lower(coalesce(ensembl_gene_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "gene_description_typo" ON "gene" ((left(lower(coalesce(description, '')), 1)), (length(lower(coalesce(description, '')))));
-- requires: pattern_indexes
CREATE INDEX "organism_name_typo" ON "organism" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "organism_scientific_name_typo" ON "organism" ((left(lower(coalesce(scientific_name, '')), 1)), (length(lower(coalesce(scientific_name, '')))));
-- requires: pattern_indexes
CREATE INDEX "organism_synonyms_typo" ON "organism" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "organism_ontology_id_typo" ON "organism" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "pathway_name_typo" ON "pathway" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "pathway_synonyms_typo" ON "pathway" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "pathway_ontology_id_typo" ON "pathway" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "pathway_abbr_typo" ON "pathway" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "phenotype_name_typo" ON "phenotype" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "phenotype_synonyms_typo" ON "phenotype" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "phenotype_ontology_id_typo" ON "phenotype" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "phenotype_abbr_typo" ON "phenotype" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
-- requires: pattern_indexes
CREATE INDEX "protein_name_typo" ON "protein" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "protein_synonyms_typo" ON "protein" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "protein_uniprotkb_id_typo" ON "protein" ((left(lower(coalesce(uniprotkb_id, '')), 1)), (length(lower(coalesce(uniprotkb_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "protein_gene_symbol_typo" ON "protein" ((left(lower(coalesce(gene_symbol, '')), 1)), (length(lower(coalesce(gene_symbol, '')))));
-- requires: pattern_indexes
CREATE INDEX "tissue_name_typo" ON "tissue" ((left(lower(coalesce(name, '')), 1)), (length(lower(coalesce(name, '')))));
-- requires: pattern_indexes
CREATE INDEX "tissue_synonyms_typo" ON "tissue" ((left(lower(coalesce(synonyms, '')), 1)), (length(lower(coalesce(synonyms, '')))));
-- requires: pattern_indexes
CREATE INDEX "tissue_ontology_id_typo" ON "tissue" ((left(lower(coalesce(ontology_id, '')), 1)), (length(lower(coalesce(ontology_id, '')))));
-- requires: pattern_indexes
CREATE INDEX "tissue_abbr_typo" ON "tissue" ((left(lower(coalesce(abbr, '')), 1)), (length(lower(coalesce(abbr, '')))));
