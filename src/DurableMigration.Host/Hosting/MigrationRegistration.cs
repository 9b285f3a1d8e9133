using DurableMigration.Engine;
using DurableMigration.Migration;
using DurableMigration.Migration.Activities;

namespace DurableMigration.Host.Hosting;

/// <summary>Registers the migration orchestrations and activities with the embedded runtime, under the names Durable Functions would use.</summary>
public static class MigrationRegistration
{
    /// <summary>Adds every orchestrator and activity of a wave.</summary>
    public static DurableTaskRegistry AddMigration(this DurableTaskRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry
            .AddOrchestrator<WaveOrchestration>(MigrationNames.WaveOrchestration)
            .AddOrchestrator<DatabaseMigrationOrchestration>(MigrationNames.DatabaseMigrationOrchestration)
            .AddOrchestrator<WaveRollbackOrchestration>(MigrationNames.WaveRollbackOrchestration)
            .AddActivity<ValidateDatabaseActivity>(MigrationActivityNames.ValidateDatabase)
            .AddActivity<MigrateSchemaActivity>(MigrationActivityNames.MigrateSchema)
            .AddActivity<CopyDataActivity>(MigrationActivityNames.CopyData)
            .AddActivity<GetCopyProgressActivity>(MigrationActivityNames.GetCopyProgress)
            .AddActivity<CutoverActivity>(MigrationActivityNames.Cutover)
            .AddActivity<PostValidateActivity>(MigrationActivityNames.PostValidate)
            .AddActivity<RemediateActivity>(MigrationActivityNames.Remediate)
            .AddActivity<DropTargetActivity>(MigrationActivityNames.DropTarget)
            .AddActivity<MakeSourceWritableActivity>(MigrationActivityNames.MakeSourceWritable)
            .AddActivity<SwitchConsumersBackActivity>(MigrationActivityNames.SwitchConsumersBack)
            .AddActivity<SendAlertActivity>(MigrationActivityNames.SendAlert)
            .AddActivity<NextCutoverWindowActivity>(MigrationActivityNames.NextCutoverWindow);
    }
}
