-- procatlas workspace schema v2: metric baselines (procatlas.metrics.baseline).
-- A baseline keeps each KPI's value, its definition (and hash) and the per-unit sample
-- (cases, events or weeks) that later significance tests resample.

CREATE TABLE baseline (
    name             VARCHAR NOT NULL UNIQUE,
    process          VARCHAR,            -- NULL: every process
    window_from      VARCHAR,
    window_to        VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    definitions_hash VARCHAR NOT NULL,
    options          JSON
);

CREATE TABLE baseline_kpi (
    baseline        VARCHAR NOT NULL,
    kpi             VARCHAR NOT NULL,
    process         VARCHAR NOT NULL,
    value           DOUBLE,
    unit            VARCHAR,
    n               BIGINT,
    kind            VARCHAR,
    stat            VARCHAR,
    direction       VARCHAR,
    target          DOUBLE,
    definition      VARCHAR,
    definition_hash VARCHAR,
    sample          DOUBLE[]
);
