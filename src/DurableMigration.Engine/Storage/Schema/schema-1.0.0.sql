-- DurableMigration task hub, schema 1.0.0. Times are Unix milliseconds (UTC).
CREATE TABLE IF NOT EXISTS Instances (
    InstanceId        TEXT    NOT NULL PRIMARY KEY,
    ExecutionId       TEXT    NOT NULL,
    Name              TEXT    NOT NULL,
    RuntimeStatus     TEXT    NOT NULL,
    Input             TEXT,
    Output            TEXT,
    CustomStatus      TEXT,
    FailureDetails    TEXT,
    ParentInstanceId  TEXT,
    ParentTaskId      INTEGER,
    CreatedTime       INTEGER NOT NULL,
    LastUpdatedTime   INTEGER NOT NULL,
    CompletedTime     INTEGER,
    HistoryCount      INTEGER NOT NULL DEFAULT 0,
    LockedBy          TEXT,
    LockExpiration    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS IX_Instances_CreatedTime ON Instances (CreatedTime, InstanceId);
CREATE INDEX IF NOT EXISTS IX_Instances_Status ON Instances (RuntimeStatus, CreatedTime);

-- Append-only history per instance.
CREATE TABLE IF NOT EXISTS History (
    InstanceId      TEXT    NOT NULL,
    SequenceNumber  INTEGER NOT NULL,
    EventType       TEXT    NOT NULL,
    Timestamp       INTEGER NOT NULL,
    Payload         TEXT    NOT NULL,
    PRIMARY KEY (InstanceId, SequenceNumber)
) WITHOUT ROWID;

-- Messages to orchestrations (started, task results, timers, events, commands), consumed by the next turn.
-- A timer is a message that becomes visible at its fire time.
CREATE TABLE IF NOT EXISTS NewEvents (
    Id           INTEGER PRIMARY KEY AUTOINCREMENT,
    InstanceId   TEXT    NOT NULL,
    ExecutionId  TEXT,
    EventType    TEXT    NOT NULL,
    VisibleTime  INTEGER NOT NULL,
    Payload      TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS IX_NewEvents_VisibleTime ON NewEvents (VisibleTime);
CREATE INDEX IF NOT EXISTS IX_NewEvents_Instance ON NewEvents (InstanceId, Id);

-- Activity work items, leased by workers.
CREATE TABLE IF NOT EXISTS ActivityTasks (
    Id              INTEGER PRIMARY KEY AUTOINCREMENT,
    InstanceId      TEXT    NOT NULL,
    ExecutionId     TEXT    NOT NULL,
    TaskId          INTEGER NOT NULL,
    Name            TEXT    NOT NULL,
    Input           TEXT,
    LockedBy        TEXT,
    LockExpiration  INTEGER NOT NULL DEFAULT 0,
    DequeueCount    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS IX_ActivityTasks_Lock ON ActivityTasks (LockExpiration, Id);
CREATE INDEX IF NOT EXISTS IX_ActivityTasks_Instance ON ActivityTasks (InstanceId);
