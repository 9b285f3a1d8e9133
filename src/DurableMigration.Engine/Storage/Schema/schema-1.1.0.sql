-- DurableMigration task hub, schema 1.1.0: a sub-orchestration remembers its parent's execution, so its result
-- reaches only the run that started it (a parent restarted under the same id never gets an old child's output).
ALTER TABLE Instances ADD COLUMN ParentExecutionId TEXT;
