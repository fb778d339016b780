-- file.blob: where a File's bytes live, relative to its storage root
-- (".lakecat/objects/<uid><suffix>" when lakecat manages them, the key when registered in place).
ALTER TABLE "file" ADD COLUMN blob VARCHAR;
