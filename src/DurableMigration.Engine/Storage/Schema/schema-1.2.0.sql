-- DurableMigration task hub, schema 1.2.0: an instance's input has a table of its own. The Instances row is rewritten
-- by every lock and every turn, and SQLite rewrites a row whole: a large input there (a wave's manifest) was copied
-- again on each of them. Instances.Input stays, always NULL.
CREATE TABLE IF NOT EXISTS InstanceInputs (
    InstanceId  TEXT NOT NULL PRIMARY KEY,
    Input       TEXT NOT NULL
);
INSERT OR REPLACE INTO InstanceInputs (InstanceId, Input) SELECT InstanceId, Input FROM Instances WHERE Input IS NOT NULL;
UPDATE Instances SET Input = NULL WHERE Input IS NOT NULL;
