-- SynergAI schema 002: the project's own tables, meant to be read by people (psql, dashboards) as well as by code.
-- Same conventions as 001: default schema, lower-case names, timestamptz for every time.

-- The profiles (the configuration dictionary's input): measured throughput and preprocessing time of an engine in one
-- configuration on one worker of a pool.
CREATE TABLE synergai_profile
(
    pool         text             NOT NULL,
    worker       text             NOT NULL,
    engine       text             NOT NULL,
    config       text             NOT NULL,
    qps          double precision NOT NULL,
    preprocess_s double precision NOT NULL,
    updated_at   timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT synergai_profile_pk PRIMARY KEY (pool, worker, engine, config),
    CONSTRAINT synergai_profile_names_ck CHECK (
        length(pool) BETWEEN 1 AND 200 AND length(worker) BETWEEN 1 AND 200
        AND length(engine) BETWEEN 1 AND 200 AND length(config) BETWEEN 1 AND 200),
    CONSTRAINT synergai_profile_qps_ck CHECK (qps > 0 AND qps < 'Infinity'::double precision),
    CONSTRAINT synergai_profile_preprocess_ck CHECK (preprocess_s >= 0 AND preprocess_s < 'Infinity'::double precision)
);

-- One row per job, kept after the job grain is gone: what was asked (pool, engine, queries, qos_s), where and how it
-- ran (worker, config, attempts), when (submitted/dispatched/started/completed) and how it ended (state, violated,
-- excess_s over the QoS in model seconds, reason).
CREATE TABLE synergai_job_history
(
    job           text             NOT NULL,
    pool          text             NOT NULL,
    engine        text             NOT NULL,
    queries       integer          NOT NULL,
    qos_s         double precision NOT NULL,
    state         text             NOT NULL,
    worker        text             NULL,
    config        text             NULL,
    attempts      integer          NOT NULL DEFAULT 0,
    submitted_at  timestamptz      NOT NULL,
    dispatched_at timestamptz      NULL,
    started_at    timestamptz      NULL,
    completed_at  timestamptz      NULL,
    violated      boolean          NULL,
    excess_s      double precision NULL,
    reason        text             NULL,
    updated_at    timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT synergai_job_history_pk PRIMARY KEY (job),
    CONSTRAINT synergai_job_history_names_ck CHECK (
        length(job) BETWEEN 1 AND 200 AND length(pool) BETWEEN 1 AND 200 AND length(engine) BETWEEN 1 AND 200),
    CONSTRAINT synergai_job_history_queries_ck CHECK (queries > 0),
    CONSTRAINT synergai_job_history_qos_ck CHECK (qos_s > 0 AND qos_s < 'Infinity'::double precision),
    CONSTRAINT synergai_job_history_attempts_ck CHECK (attempts >= 0),
    CONSTRAINT synergai_job_history_state_ck CHECK (
        state IN ('Submitted', 'Queued', 'Dispatched', 'Running', 'Completed', 'Failed', 'Cancelled')),
    CONSTRAINT synergai_job_history_reason_ck CHECK (reason IS NULL OR length(reason) <= 4000)
);

CREATE INDEX synergai_job_history_pool_submitted_ix ON synergai_job_history (pool, submitted_at);
CREATE INDEX synergai_job_history_state_ix ON synergai_job_history (state);
