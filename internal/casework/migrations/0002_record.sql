-- The full client record (P01, P12, P29, P52, P54). The record is kept in
-- parts, each edited on its own form; every part is one sealed JSON value
-- in its own column, bound to this table, the column and the client's id.
-- NULL means the part was never recorded.
--   other_names   preferred and previous names (with given_name,
--                 family_name and date_of_birth: the "names" part)
--   details       pronouns, first language, interpreter, how they heard of us
--   contact       address, phones, e-mail
--   safe_contact  how we may contact them safely (P29)
--   gp            GP and surgery
--   network       emergency contact and support network (P12)
--   monitoring    equality monitoring, every answer optional (P54)
--   flags         risk level, the organisation's flags, hide name
ALTER TABLE clients ADD COLUMN other_names BLOB;
ALTER TABLE clients ADD COLUMN details BLOB;
ALTER TABLE clients ADD COLUMN contact BLOB;
ALTER TABLE clients ADD COLUMN safe_contact BLOB;
ALTER TABLE clients ADD COLUMN gp BLOB;
ALTER TABLE clients ADD COLUMN network BLOB;
ALTER TABLE clients ADD COLUMN monitoring BLOB;
ALTER TABLE clients ADD COLUMN flags BLOB;

-- The record's version when each part last changed. An editor who started
-- from version v is stopped only if a part they are saving changed after v:
-- two people editing different parts both keep their changes.
ALTER TABLE clients ADD COLUMN names_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE clients ADD COLUMN details_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN contact_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN safe_contact_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN gp_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN network_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN monitoring_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN flags_version BIGINT NOT NULL DEFAULT 0;
UPDATE clients SET names_version = version;

-- Age band ("25-34"), computed from the date of birth when it is saved:
-- clear, for statistics. '' when unknown.
ALTER TABLE clients ADD COLUMN age_band TEXT NOT NULL DEFAULT '';
CREATE INDEX clients_age_band ON clients (age_band);

-- Every value each part of a record has had, for corrections with the
-- history kept (P41). value is the part's sealed JSON, bound to this
-- table, column "value" and the row's own id; who and when stay clear.
CREATE TABLE client_record_history (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    part       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    value      BLOB NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at BIGINT NOT NULL
);
CREATE INDEX client_record_history_client ON client_record_history (client_id, version, part);

-- Lists the organisation keeps, in its own words: how people heard of us
-- (P52) and the kinds of flag a record can carry. Items are retired, never
-- deleted, so records that use them still read.
CREATE TABLE org_list_items (
    id         TEXT PRIMARY KEY,
    list       TEXT NOT NULL,
    label      TEXT NOT NULL,
    position   INTEGER NOT NULL,
    retired    INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX org_list_items_list ON org_list_items (list, retired, position);

INSERT INTO org_list_items (id, list, label, position, retired, created_at, updated_at) VALUES
    ('kg2pir37mwqu7lsndujt4plhka', 'how-heard', 'GP or another health professional', 1, 0, 0, 0),
    ('qoxb7ggyrgrsncuds4dorc2m5a', 'how-heard', 'Social worker or social care', 2, 0, 0, 0),
    ('jkztsxtxeq6dephgrvjspgmzxa', 'how-heard', 'Police', 3, 0, 0, 0),
    ('n3fgob6vfpjejgirbxrwocwsda', 'how-heard', 'Another charity or support service', 4, 0, 0, 0),
    ('btog5kc2hglxm22hoxybprxnja', 'how-heard', 'School, college or university', 5, 0, 0, 0),
    ('cn7gsqww4wmwnfl54e2c44j7pa', 'how-heard', 'Friend or family', 6, 0, 0, 0),
    ('3k5dzsobcmu66n2bpd5xfvhcla', 'how-heard', 'Internet search or our website', 7, 0, 0, 0),
    ('qksekvtzbajy6ti6uw2po43cza', 'how-heard', 'Social media', 8, 0, 0, 0),
    ('yqskhb2d7sly7hdsqf2c25t22a', 'how-heard', 'Leaflet, poster or advert', 9, 0, 0, 0),
    ('rdyup4qttwfi5tpjzd6qn6oypa', 'how-heard', 'Used the service before', 10, 0, 0, 0),
    ('2zqva3lbh7jrge2p4b5yy2dwqa', 'how-heard', 'Other', 11, 0, 0, 0),
    ('rjqnqo4wlunu455c57qrunlsla', 'flag', 'Address confidential', 1, 0, 0, 0),
    ('e4vcigppze5de7ohxx3rsavpra', 'flag', 'Do not contact by phone', 2, 0, 0, 0),
    ('gfvgcux6p7hslytvhbg5unwioa', 'flag', 'Do not send letters', 3, 0, 0, 0),
    ('bmqxlog3dq6u2gug4oyk4srvla', 'flag', 'Someone may check their phone or post', 4, 0, 0, 0),
    ('hwvz7sfxuzhc2s2kfchs2ntjva', 'flag', 'MARAC referral', 5, 0, 0, 0),
    ('oeeu6z2jm5mfptxwelmqcmee2a', 'flag', 'Child protection concern', 6, 0, 0, 0),
    ('3brk2xgjjei247ruyuzvntf2ga', 'flag', 'Adult at risk', 7, 0, 0, 0),
    ('xmjbu7sfvolpw4qxg5phphhaea', 'flag', 'Lone working: visit in pairs', 8, 0, 0, 0),
    ('42e3zfbw5wslgvnuantzebirfa', 'flag', 'Communication needs: check before contact', 9, 0, 0, 0);
