-- procatlas workspace schema v1: object-centric after OCEL 2.0.
-- Timestamps are UTC, stored as TIMESTAMP (microseconds).  Surrogate keys (eid, oid) are
-- BIGINTs assigned at ingestion; original ids are kept in `id`.  No PRIMARY KEY / UNIQUE
-- indexes on the large tables: DuckDB maintains them row by row, and ingestion enforces
-- uniqueness itself (duplicates go to `reject`).

CREATE TABLE source (
    source_id   INTEGER NOT NULL,
    path        VARCHAR NOT NULL,
    format      VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL UNIQUE,
    size_bytes  BIGINT,
    process     VARCHAR,             -- object type of a case-centric file
    mapping     JSON,
    timezone    VARCHAR,
    events      BIGINT,
    objects     BIGINT,
    rejected    BIGINT,
    notes       JSON,
    imported_at TIMESTAMP NOT NULL
);

CREATE TABLE event (
    eid             BIGINT NOT NULL,  -- workspace-wide, increasing in file order
    id              VARCHAR,          -- id in the source file, when it had one
    source_id       INTEGER NOT NULL,
    position        BIGINT NOT NULL,  -- ordinal in the source file: (timestamp, position) orders a case
    activity        VARCHAR NOT NULL,
    timestamp       TIMESTAMP NOT NULL,
    lifecycle       VARCHAR,
    resource        VARCHAR,
    "group"         VARCHAR,
    start_timestamp TIMESTAMP,
    attributes      JSON
);

CREATE TABLE object (
    oid        BIGINT NOT NULL,
    id         VARCHAR NOT NULL,
    type       VARCHAR NOT NULL,      -- the process when used as case notion
    source_id  INTEGER NOT NULL,
    attributes JSON
);

CREATE TABLE object_change (
    oid       BIGINT NOT NULL,
    name      VARCHAR NOT NULL,
    value     JSON,
    timestamp TIMESTAMP,
    source_id INTEGER NOT NULL
);

CREATE TABLE event_object (
    eid       BIGINT NOT NULL,
    oid       BIGINT NOT NULL,
    qualifier VARCHAR
);

CREATE TABLE object_object (
    source_oid BIGINT NOT NULL,
    target_oid BIGINT NOT NULL,
    qualifier  VARCHAR,
    source_id  INTEGER NOT NULL
);

CREATE TABLE person (
    id         VARCHAR NOT NULL,
    name       VARCHAR,
    "group"    VARCHAR,
    role       VARCHAR,
    attributes JSON,
    source_id  INTEGER
);

CREATE TABLE message (
    mid        BIGINT NOT NULL,
    id         VARCHAR,
    source_id  INTEGER NOT NULL,
    timestamp  TIMESTAMP,
    sender     VARCHAR,
    recipients VARCHAR[],
    venue      VARCHAR,
    kind       VARCHAR,              -- email | chat | meeting | social
    case_refs  VARCHAR[],
    subject    VARCHAR,
    text       VARCHAR,
    attributes JSON
);

CREATE TABLE reject (
    source_id INTEGER NOT NULL,
    location  BIGINT,                -- 1-based line (text files) or row (tables)
    reason    VARCHAR NOT NULL,
    raw       VARCHAR
);

CREATE TABLE attribute_type (
    source_id INTEGER NOT NULL,
    scope     VARCHAR NOT NULL,      -- event | case | object
    name      VARCHAR NOT NULL,
    type      VARCHAR NOT NULL       -- XES type names: string date int float boolean id list container
);
