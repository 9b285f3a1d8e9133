namespace DurableMigration.Migration;

/// <summary>The failure a drill injects: a rehearsal of rollback, never retried.</summary>
public sealed class DrillFailureException : Exception, INonRetriableException
{
    /// <summary>Initializes the failure for <paramref name="step"/> of <paramref name="database"/>.</summary>
    public DrillFailureException(string database, MigrationStep step)
        : base($"Drill: failure injected at step {MigrationNames.StepName(step)} of database '{database}' (dmig run --drill {database}:{MigrationNames.StepName(step)}).")
    {
    }

    /// <summary>Throws when <paramref name="inject"/> is set.</summary>
    public static void ThrowIf(bool inject, string database, MigrationStep step)
    {
        if (inject)
        {
            throw new DrillFailureException(database, step);
        }
    }
}
