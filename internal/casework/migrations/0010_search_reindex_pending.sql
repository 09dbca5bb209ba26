-- Changes to what the search index holds that only a rebuild from the
-- sealed records can make (the migration cannot decrypt): each is a row
-- here, written by the migration that needs it, and the server rebuilds
-- the index at its next start (Casework.ReindexPending), then deletes
-- the rows it has answered. An installation with no clients has nothing
-- to rebuild.
CREATE TABLE search_reindex_pending (
    reason TEXT PRIMARY KEY
);
-- 0009 scoped the index by service; intake check tags (ix) came with it,
-- and the clients recorded before have none.
INSERT INTO search_reindex_pending (reason)
    SELECT 'intake-tags' WHERE EXISTS (SELECT 1 FROM clients);
