-- The search index, scoped by service (search.go): each client's rows are
-- kept once for every service the client is linked to (scope = the
-- service's id; '' for a client linked to none), so that a search reads
-- only the rows of the services the searcher works in, and its cost
-- follows the size of those services rather than of the organisation.
-- Relinking a client (cases.go) copies or drops their rows to match.
CREATE TABLE client_search_scoped (
    scope     TEXT NOT NULL,
    tag       TEXT NOT NULL,
    client_id TEXT NOT NULL,
    part      TEXT NOT NULL,
    PRIMARY KEY (scope, tag, client_id)
);
INSERT INTO client_search_scoped (scope, tag, client_id, part)
    SELECT COALESCE(l.service_id, ''), s.tag, s.client_id, s.part
    FROM client_search s
    LEFT JOIN (SELECT DISTINCT client_id, service_id FROM gate_links) l ON l.client_id = s.client_id;
DROP TABLE client_search;
ALTER TABLE client_search_scoped RENAME TO client_search;
CREATE INDEX client_search_client ON client_search (client_id, part, scope);
