-- Schema-less metadata: free-form JSON on Files and Datasets, filterable by key
-- (lc.File.filter(meta__organism="human"), meta__donor__age__gt=30).
ALTER TABLE "file" ADD COLUMN meta JSON;
ALTER TABLE "dataset" ADD COLUMN meta JSON;
