-- DurableMigration task hub, schema 1.4.0: fewer pages written per turn. In a wave of a thousand databases a turn's
-- commit wrote about fourteen 4 KiB pages to the WAL, for a few hundred bytes of new history.
-- History rows are appended at the end of a rowid table and found through an index on (InstanceId,
-- SequenceNumber). Keyed by instance, every turn inserted its events into the middle of a tree of large rows,
-- splitting pages there.
CREATE TABLE HistoryLog (
    Id              INTEGER PRIMARY KEY,
    InstanceId      TEXT    NOT NULL,
    SequenceNumber  INTEGER NOT NULL,
    EventType       TEXT    NOT NULL,
    Timestamp       INTEGER NOT NULL,
    Payload         TEXT    NOT NULL
);
INSERT INTO HistoryLog (InstanceId, SequenceNumber, EventType, Timestamp, Payload)
    SELECT InstanceId, SequenceNumber, EventType, Timestamp, Payload FROM History ORDER BY InstanceId, SequenceNumber;
DROP TABLE History;
ALTER TABLE HistoryLog RENAME TO History;
CREATE UNIQUE INDEX IX_History_Instance ON History (InstanceId, SequenceNumber);

-- Payload tables keyed by instance id without a rowid: one tree to write instead of a table and its key's index.
CREATE TABLE InstanceInputsByKey (InstanceId TEXT NOT NULL PRIMARY KEY, Input TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO InstanceInputsByKey SELECT InstanceId, Input FROM InstanceInputs;
DROP TABLE InstanceInputs;
ALTER TABLE InstanceInputsByKey RENAME TO InstanceInputs;
CREATE TABLE InstanceOutputsByKey (InstanceId TEXT NOT NULL PRIMARY KEY, Output TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO InstanceOutputsByKey SELECT InstanceId, Output FROM InstanceOutputs;
DROP TABLE InstanceOutputs;
ALTER TABLE InstanceOutputsByKey RENAME TO InstanceOutputs;
CREATE TABLE InstanceCustomStatusByKey (InstanceId TEXT NOT NULL PRIMARY KEY, CustomStatus TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO InstanceCustomStatusByKey SELECT InstanceId, CustomStatus FROM InstanceCustomStatus;
DROP TABLE InstanceCustomStatus;
ALTER TABLE InstanceCustomStatusByKey RENAME TO InstanceCustomStatus;

-- Activity work items are found by id and by lease; the few deletions by instance (its end, a purge) scan the
-- lease index or the table, which holds only work not yet done. The index by instance cost two pages per step.
DROP INDEX IX_ActivityTasks_Instance;
