-- Index-backed text lookups on Postgres for the bio registries (as core's 0007; skipped
-- on DuckDB): prefix filters and the near-duplicate check on the name field, pg_trgm GIN
-- indexes for every search field.
-- requires: pattern_indexes
CREATE INDEX "cell_line_name_prefix" ON "cell_line" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_line_name_near" ON "cell_line" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_line_name_trgm" ON "cell_line" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_line_synonyms_trgm" ON "cell_line" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_line_ontology_id_trgm" ON "cell_line" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_line_abbr_trgm" ON "cell_line" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_marker_name_prefix" ON "cell_marker" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_marker_name_near" ON "cell_marker" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_marker_name_trgm" ON "cell_marker" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_marker_synonyms_trgm" ON "cell_marker" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_marker_gene_symbol_trgm" ON "cell_marker" USING gin ((lower(coalesce(gene_symbol, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_type_name_prefix" ON "cell_type" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_type_name_near" ON "cell_type" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_type_name_trgm" ON "cell_type" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_type_synonyms_trgm" ON "cell_type" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_type_ontology_id_trgm" ON "cell_type" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "cell_type_abbr_trgm" ON "cell_type" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "compound_name_prefix" ON "compound" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "compound_name_near" ON "compound" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "compound_name_trgm" ON "compound" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "compound_synonyms_trgm" ON "compound" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "compound_ontology_id_trgm" ON "compound" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "compound_abbr_trgm" ON "compound" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_name_prefix" ON "developmental_stage" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_name_near" ON "developmental_stage" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_name_trgm" ON "developmental_stage" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_synonyms_trgm" ON "developmental_stage" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_ontology_id_trgm" ON "developmental_stage" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "developmental_stage_abbr_trgm" ON "developmental_stage" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "disease_name_prefix" ON "disease" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "disease_name_near" ON "disease" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "disease_name_trgm" ON "disease" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "disease_synonyms_trgm" ON "disease" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "disease_ontology_id_trgm" ON "disease" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "disease_abbr_trgm" ON "disease" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "ethnicity_name_prefix" ON "ethnicity" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "ethnicity_name_near" ON "ethnicity" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "ethnicity_name_trgm" ON "ethnicity" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "ethnicity_synonyms_trgm" ON "ethnicity" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "ethnicity_ontology_id_trgm" ON "ethnicity" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "ethnicity_abbr_trgm" ON "ethnicity" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_name_prefix" ON "experimental_factor" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_name_near" ON "experimental_factor" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_name_trgm" ON "experimental_factor" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_synonyms_trgm" ON "experimental_factor" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_ontology_id_trgm" ON "experimental_factor" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "experimental_factor_abbr_trgm" ON "experimental_factor" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "gene_symbol_prefix" ON "gene" (symbol text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "gene_symbol_near" ON "gene" ((lower(trim(symbol))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "gene_symbol_trgm" ON "gene" USING gin ((lower(coalesce(symbol, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "gene_synonyms_trgm" ON "gene" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "gene_ensembl_gene_id_trgm" ON "gene" USING gin ((lower(coalesce(ensembl_gene_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "gene_description_trgm" ON "gene" USING gin ((lower(coalesce(description, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "organism_name_prefix" ON "organism" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "organism_name_near" ON "organism" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "organism_name_trgm" ON "organism" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "organism_scientific_name_trgm" ON "organism" USING gin ((lower(coalesce(scientific_name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "organism_synonyms_trgm" ON "organism" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "organism_ontology_id_trgm" ON "organism" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "pathway_name_prefix" ON "pathway" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "pathway_name_near" ON "pathway" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "pathway_name_trgm" ON "pathway" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "pathway_synonyms_trgm" ON "pathway" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "pathway_ontology_id_trgm" ON "pathway" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "pathway_abbr_trgm" ON "pathway" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "phenotype_name_prefix" ON "phenotype" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "phenotype_name_near" ON "phenotype" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "phenotype_name_trgm" ON "phenotype" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "phenotype_synonyms_trgm" ON "phenotype" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "phenotype_ontology_id_trgm" ON "phenotype" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "phenotype_abbr_trgm" ON "phenotype" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "protein_name_prefix" ON "protein" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "protein_name_near" ON "protein" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "protein_name_trgm" ON "protein" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "protein_synonyms_trgm" ON "protein" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "protein_uniprotkb_id_trgm" ON "protein" USING gin ((lower(coalesce(uniprotkb_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "protein_gene_symbol_trgm" ON "protein" USING gin ((lower(coalesce(gene_symbol, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "tissue_name_prefix" ON "tissue" (name text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "tissue_name_near" ON "tissue" ((lower(trim(name))) text_pattern_ops);
-- requires: pattern_indexes
CREATE INDEX "tissue_name_trgm" ON "tissue" USING gin ((lower(coalesce(name, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "tissue_synonyms_trgm" ON "tissue" USING gin ((lower(coalesce(synonyms, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "tissue_ontology_id_trgm" ON "tissue" USING gin ((lower(coalesce(ontology_id, ''))) public.gin_trgm_ops);
-- requires: pattern_indexes
CREATE INDEX "tissue_abbr_trgm" ON "tissue" USING gin ((lower(coalesce(abbr, ''))) public.gin_trgm_ops);
