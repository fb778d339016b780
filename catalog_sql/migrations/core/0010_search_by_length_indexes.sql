-- Tiers 0-1 of ranked search on Postgres, read in ranking order (DuckDB skips these). A
-- registry whose search has one field (ulabel, feature_set) ranks the rows that start with
-- the query by length, then value: a btree on (length, lowered value) holds each length's
-- prefix rows as one range, so search reads a few rows per length and stops when it has
-- enough, instead of sorting every row that shares a short prefix (60,000 of 1e7 labels,
-- 1.2 s; decisions §21). COLLATE "C": Postgres answers LIKE 'q%' from a byte-ordered
-- index whatever the database's collation (a filter may use it too; at 1e7 labels the
-- planner keeps name__istartswith on the trigram index). INCLUDE:
-- each length's best rows are chosen from the index alone (a length 10,000 prefix rows
-- share: 8 ms, against 37-200 ms fetching them from the table).
-- requires: pattern_indexes
CREATE INDEX "ulabel_name_by_length" ON "ulabel" ((length(name)), (lower(coalesce(name, '')) COLLATE "C")) INCLUDE (name, id);
-- requires: pattern_indexes
CREATE INDEX "feature_set_name_by_length" ON "feature_set" ((length(name)), (lower(coalesce(name, '')) COLLATE "C")) INCLUDE (name, id);
