-- DurableMigration task hub, schema 1.3.0: outputs and custom statuses have tables of their own too. Instances is a
-- WITHOUT ROWID table, read and rewritten by every lock and every turn; a row longer than about 1,000 bytes spills
-- into overflow pages and thins out the whole tree, so every instance's lookups paid for the outputs of finished
-- instances and for large custom statuses. Instances.Output and Instances.CustomStatus stay, always NULL.
CREATE TABLE IF NOT EXISTS InstanceOutputs (
    InstanceId  TEXT NOT NULL PRIMARY KEY,
    Output      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS InstanceCustomStatus (
    InstanceId    TEXT NOT NULL PRIMARY KEY,
    CustomStatus  TEXT NOT NULL
);
INSERT OR REPLACE INTO InstanceOutputs (InstanceId, Output) SELECT InstanceId, Output FROM Instances WHERE Output IS NOT NULL;
INSERT OR REPLACE INTO InstanceCustomStatus (InstanceId, CustomStatus) SELECT InstanceId, CustomStatus FROM Instances WHERE CustomStatus IS NOT NULL;
UPDATE Instances SET Output = NULL, CustomStatus = NULL WHERE Output IS NOT NULL OR CustomStatus IS NOT NULL;
