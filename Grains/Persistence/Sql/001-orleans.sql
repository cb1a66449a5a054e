-- SynergAI schema 001: the tables and stored queries of the Orleans ADO.NET providers (clustering, grain storage,
-- reminders) for PostgreSQL, written for this project to the contract in shared/spec/ORLEANS-NOTES.md §3.
--
-- Rules that keep Orleans working:
--   * Everything lives in the default schema with unquoted (lower-case) names: Orleans runs the literal statement
--     "SELECT QueryKey, QueryText FROM OrleansQuery", which PostgreSQL folds to orleansquery.
--   * Orleans binds parameters by name (@DeploymentId, ...) and reads results by column name (case-insensitive) and
--     type, so parameter and column names below are part of the contract and must not be renamed.
--   * Every time Orleans sends is a UTC DateTime: all time columns are timestamptz.
--   * Every stored query is one SQL statement (CTEs instead of functions), so each runs atomically in the implicit
--     transaction of its command; a statement that cannot finish all of its parts raises and rolls back.
-- This file runs once, inside a transaction, from PostgresSchema.EnsureAsync.

CREATE TABLE orleansquery
(
    querykey  varchar(64) NOT NULL,
    querytext text        NOT NULL,
    CONSTRAINT orleansquery_pk PRIMARY KEY (querykey)
);

-- ---------------------------------------------------------------------------------------------------------------
-- Clustering
-- ---------------------------------------------------------------------------------------------------------------

-- One row per cluster (DeploymentId = ClusterOptions.ClusterId). Its version is the table-level ETag of the
-- membership protocol: every membership insert/update must name the version it read and bumps it by one.
CREATE TABLE orleansmembershipversiontable
(
    deploymentid text        NOT NULL,
    version      integer     NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orleansmembershipversiontable_pk PRIMARY KEY (deploymentid)
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE orleansmembershiptable
(
    deploymentid text         NOT NULL,
    address      varchar(45)  NOT NULL,
    port         integer      NOT NULL,
    generation   integer      NOT NULL,
    siloname     text         NOT NULL,
    hostname     text         NOT NULL,
    status       integer      NOT NULL,
    proxyport    integer      NULL,
    suspecttimes text         NULL,
    starttime    timestamptz  NOT NULL,
    iamalivetime timestamptz  NOT NULL,
    CONSTRAINT orleansmembershiptable_pk PRIMARY KEY (deploymentid, address, port, generation),
    CONSTRAINT orleansmembershiptable_version_fk FOREIGN KEY (deploymentid)
        REFERENCES orleansmembershipversiontable (deploymentid) ON DELETE CASCADE
);

INSERT INTO orleansquery (querykey, querytext) VALUES
-- Creates the cluster's version row (version 0) unless it exists. One column: 1 if created, 0 if it existed.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleansmembershipversiontable (deploymentid, version, updated_at)
    VALUES (@DeploymentId, 0, now())
    ON CONFLICT (deploymentid) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS created FROM created
$q$),

-- All silos of the cluster plus the table version. Always at least one row (the version row, LEFT JOINed to the
-- silos: a row with a NULL starttime means "no silo"); Orleans reads the version from the first row.
('MembershipReadAllKey', $q$
SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport,
       m.suspecttimes, m.starttime, m.iamalivetime, v.version
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m ON m.deploymentid = v.deploymentid
WHERE v.deploymentid = @DeploymentId
$q$),

-- One silo plus the table version; same shape and same at-least-one-row rule as MembershipReadAllKey.
('MembershipReadRowKey', $q$
SELECT v.deploymentid, m.address, m.port, m.generation, m.siloname, m.hostname, m.status, m.proxyport,
       m.suspecttimes, m.starttime, m.iamalivetime, v.version
FROM orleansmembershipversiontable v
LEFT JOIN orleansmembershiptable m
       ON m.deploymentid = v.deploymentid AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deploymentid = @DeploymentId
$q$),

-- Adds a silo row and bumps the table version, all or nothing: the version row is locked only if it still holds
-- the version Orleans read (@Version); the silo row is inserted only then and only if absent; the version is bumped
-- only if the row was inserted. One column: 1 on success, 0 when the version moved on or the silo already exists.
-- The final CASE is a guard: if the insert happened but the bump did not, the cast fails and the whole statement
-- (insert included) rolls back; the row lock taken by "expected" means this should never happen.
('InsertMembershipKey', $q$
WITH expected AS (
    SELECT v.deploymentid
    FROM orleansmembershipversiontable v
    WHERE v.deploymentid = @DeploymentId AND v.version = @Version
    FOR UPDATE
), inserted AS (
    INSERT INTO orleansmembershiptable
        (deploymentid, address, port, generation, siloname, hostname, status, proxyport, suspecttimes, starttime, iamalivetime)
    SELECT e.deploymentid, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort, NULL, @StartTime, @IAmAliveTime
    FROM expected e
    ON CONFLICT (deploymentid, address, port, generation) DO NOTHING
    RETURNING 1
), bumped AS (
    UPDATE orleansmembershipversiontable v
    SET version = v.version + 1, updated_at = now()
    WHERE v.deploymentid = @DeploymentId AND v.version = @Version AND EXISTS (SELECT 1 FROM inserted)
    RETURNING 1
)
SELECT CASE
         WHEN (SELECT count(*) FROM inserted) = (SELECT count(*) FROM bumped) THEN (SELECT count(*) FROM bumped)::integer
         ELSE ('InsertMembershipKey: silo row inserted but table version not bumped, rolling back '
               || (SELECT count(*) FROM inserted))::integer
       END AS ok
$q$),

-- Updates a silo's status, suspicions and heartbeat and bumps the table version, all or nothing, under the same
-- optimistic rule as InsertMembershipKey. One column: 1 on success, 0 when the version moved on or the row is gone.
('UpdateMembershipKey', $q$
WITH expected AS (
    SELECT v.deploymentid
    FROM orleansmembershipversiontable v
    WHERE v.deploymentid = @DeploymentId AND v.version = @Version
    FOR UPDATE
), updated AS (
    UPDATE orleansmembershiptable m
    SET status = @Status, suspecttimes = @SuspectTimes, iamalivetime = @IAmAliveTime
    FROM expected e
    WHERE m.deploymentid = e.deploymentid AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
    RETURNING 1
), bumped AS (
    UPDATE orleansmembershipversiontable v
    SET version = v.version + 1, updated_at = now()
    WHERE v.deploymentid = @DeploymentId AND v.version = @Version AND EXISTS (SELECT 1 FROM updated)
    RETURNING 1
)
SELECT CASE
         WHEN (SELECT count(*) FROM updated) = (SELECT count(*) FROM bumped) THEN (SELECT count(*) FROM bumped)::integer
         ELSE ('UpdateMembershipKey: silo row updated but table version not bumped, rolling back '
               || (SELECT count(*) FROM updated))::integer
       END AS ok
$q$),

-- Heartbeat: only the silo's iamalivetime changes; the table version is deliberately left alone.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleansmembershiptable
SET iamalivetime = @IAmAliveTime
WHERE deploymentid = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- Gateways for clients: active silos (Status = 3) that listen for clients.
('GatewaysQueryKey', $q$
SELECT m.address, m.proxyport, m.generation
FROM orleansmembershiptable m
WHERE m.deploymentid = @DeploymentId AND m.status = @Status AND m.proxyport > 0
$q$),

-- Forgets the whole cluster: the version row, and with it (ON DELETE CASCADE) every silo row.
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleansmembershipversiontable
WHERE deploymentid = @DeploymentId
$q$),

-- Removes silos that are not Active and have not sent a heartbeat since the cut-off @IAmAliveTime.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleansmembershiptable
WHERE deploymentid = @DeploymentId AND iamalivetime < @IAmAliveTime AND status <> 3
$q$);

-- ---------------------------------------------------------------------------------------------------------------
-- Grain storage
-- ---------------------------------------------------------------------------------------------------------------

-- One row per grain state. graintypestring is the [PersistentState] state name (Orleans passes that, not the grain
-- class), so two grain classes with the same key must use different state names. For string keys grainidn0/n1
-- are 0 and the key is in grainidextensionstring. Version is the ETag; it wraps from 2^31-1 to 1.
CREATE TABLE orleansstorage
(
    serviceid              text        NOT NULL,
    graintypestring        text        NOT NULL,
    graintypehash          integer     NOT NULL,
    grainidhash            integer     NOT NULL,
    grainidn0              bigint      NOT NULL,
    grainidn1              bigint      NOT NULL,
    grainidextensionstring text        NULL,
    payloadbinary          bytea       NULL,
    version                integer     NOT NULL,
    modifiedon             timestamptz NOT NULL DEFAULT now()
);

-- At most one row per grain state (not in the upstream scripts: there, two racing first writes can both insert,
-- after which every read and write of that grain fails). A NULL key extension and an empty one are different keys,
-- hence the IS NULL column next to the coalesce. Its leading columns also serve every lookup below.
CREATE UNIQUE INDEX orleansstorage_state_uq ON orleansstorage
    (grainidhash, graintypehash, serviceid, graintypestring, grainidn0, grainidn1,
     coalesce(grainidextensionstring, ''), (grainidextensionstring IS NULL));

INSERT INTO orleansquery (querykey, querytext) VALUES
-- 0 or 1 row: the payload (NULL after a clear) and the version.
('ReadFromStorageKey', $q$
SELECT s.payloadbinary, s.version
FROM orleansstorage s
WHERE s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash AND s.serviceid = @ServiceId
  AND s.graintypestring = @GrainTypeString AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
  AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
$q$),

-- First write (@GrainStateVersion NULL): insert with version 1 unless a row exists (the unique index decides races).
-- Later writes: replace the payload and bump the version only if the stored version is @GrainStateVersion.
-- One row, column newgrainstateversion: the new version, or @GrainStateVersion unchanged (NULL for a first write)
-- when nothing was written, which Orleans reports as an InconsistentStateException (ETag conflict).
('WriteToStorageKey', $q$
WITH inserted AS (
    INSERT INTO orleansstorage
        (serviceid, graintypestring, graintypehash, grainidhash, grainidn0, grainidn1, grainidextensionstring,
         payloadbinary, version, modifiedon)
    SELECT @ServiceId, @GrainTypeString, @GrainTypeHash, @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainIdExtensionString,
           @PayloadBinary, 1, now()
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
), updated AS (
    UPDATE orleansstorage s
    SET payloadbinary = @PayloadBinary,
        version = CASE WHEN s.version = 2147483647 THEN 1 ELSE s.version + 1 END,
        modifiedon = now()
    WHERE @GrainStateVersion IS NOT NULL AND s.version = @GrainStateVersion
      AND s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash AND s.serviceid = @ServiceId
      AND s.graintypestring = @GrainTypeString AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
      AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
    RETURNING s.version
)
SELECT coalesce((SELECT version FROM inserted), (SELECT version FROM updated), @GrainStateVersion) AS newgrainstateversion
$q$),

-- Clear keeps the row (payload NULL) and bumps the version, if the stored version is @GrainStateVersion.
-- Returns the new version, or no row on a conflict.
('ClearStorageKey', $q$
UPDATE orleansstorage s
SET payloadbinary = NULL,
    version = CASE WHEN s.version = 2147483647 THEN 1 ELSE s.version + 1 END,
    modifiedon = now()
WHERE s.version = @GrainStateVersion
  AND s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash AND s.serviceid = @ServiceId
  AND s.graintypestring = @GrainTypeString AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
  AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
RETURNING s.version AS newgrainstateversion
$q$),

-- Used instead of ClearStorageKey when AdoNetGrainStorageOptions.DeleteStateOnClear is set: deletes the row if the
-- stored version is @GrainStateVersion and returns that version + 1 (what Orleans checks), or no row on a conflict.
('DeleteStorageKey', $q$
DELETE FROM orleansstorage s
WHERE s.version = @GrainStateVersion
  AND s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash AND s.serviceid = @ServiceId
  AND s.graintypestring = @GrainTypeString AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
  AND s.grainidextensionstring IS NOT DISTINCT FROM @GrainIdExtensionString
RETURNING CASE WHEN s.version = 2147483647 THEN 1 ELSE s.version + 1 END AS newgrainstateversion
$q$);

-- ---------------------------------------------------------------------------------------------------------------
-- Reminders
-- ---------------------------------------------------------------------------------------------------------------

-- grainid is GrainId.ToString() (e.g. "job/job-00042"); period is in milliseconds; grainhash is the grain's uniform
-- hash cast to a signed int, used by the silos to split the reminders between them (hash ranges).
CREATE TABLE orleansreminderstable
(
    serviceid    text        NOT NULL,
    grainid      text        NOT NULL,
    remindername text        NOT NULL,
    starttime    timestamptz NOT NULL,
    period       bigint      NOT NULL,
    grainhash    integer     NOT NULL,
    version      integer     NOT NULL,
    CONSTRAINT orleansreminderstable_pk PRIMARY KEY (serviceid, grainid, remindername)
);

CREATE INDEX orleansreminderstable_range_ix ON orleansreminderstable (serviceid, grainhash);

INSERT INTO orleansquery (querykey, querytext) VALUES
-- Creates (version 0) or replaces (version + 1) a reminder; one row, column version.
('UpsertReminderRowKey', $q$
INSERT INTO orleansreminderstable AS r (serviceid, grainid, remindername, starttime, period, grainhash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (serviceid, grainid, remindername) DO UPDATE
SET starttime = excluded.starttime, period = excluded.period, grainhash = excluded.grainhash,
    version = CASE WHEN r.version = 2147483647 THEN 0 ELSE r.version + 1 END
RETURNING r.version
$q$),

('ReadReminderRowsKey', $q$
SELECT r.grainid, r.remindername, r.starttime, r.period, r.version
FROM orleansreminderstable r
WHERE r.serviceid = @ServiceId AND r.grainid = @GrainId
$q$),

('ReadReminderRowKey', $q$
SELECT r.grainid, r.remindername, r.starttime, r.period, r.version
FROM orleansreminderstable r
WHERE r.serviceid = @ServiceId AND r.grainid = @GrainId AND r.remindername = @ReminderName
$q$),

-- The reminders of a hash range (BeginHash, EndHash]; used when BeginHash < EndHash as signed ints.
('ReadRangeRows1Key', $q$
SELECT r.grainid, r.remindername, r.starttime, r.period, r.version
FROM orleansreminderstable r
WHERE r.serviceid = @ServiceId AND r.grainhash > @BeginHash AND r.grainhash <= @EndHash
$q$),

-- The same for a range that wraps around the end of the int range.
('ReadRangeRows2Key', $q$
SELECT r.grainid, r.remindername, r.starttime, r.period, r.version
FROM orleansreminderstable r
WHERE r.serviceid = @ServiceId AND (r.grainhash > @BeginHash OR r.grainhash <= @EndHash)
$q$),

-- Deletes a reminder if its version is still @Version. One column: 1 if deleted, 0 otherwise.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM orleansreminderstable r
    WHERE r.serviceid = @ServiceId AND r.grainid = @GrainId AND r.remindername = @ReminderName AND r.version = @Version
    RETURNING 1
)
SELECT count(*)::integer AS deleted FROM deleted
$q$),

('DeleteReminderRowsKey', $q$
DELETE FROM orleansreminderstable
WHERE serviceid = @ServiceId
$q$);
