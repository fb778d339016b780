-- dataset.operation: what made this version (WRITE, APPEND, OVERWRITE, FILES).
ALTER TABLE "dataset" ADD COLUMN operation VARCHAR;
