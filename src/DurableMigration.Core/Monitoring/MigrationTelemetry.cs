using System.Diagnostics;

namespace DurableMigration.Monitoring;

/// <summary>The names under which DurableMigration publishes OpenTelemetry traces and metrics (<c>System.Diagnostics</c>, no package).</summary>
/// <remarks>
/// Traces: one span per activity run, from <see cref="ActivitySource"/> (tags <c>dmig.wave</c>, <c>dmig.database</c>,
/// <c>dmig.step</c>; error status on failure). Metrics: the meter <see cref="MeterName"/>, fed from the migration records
/// by the providers' record metrics. Hosts subscribe with <c>AddSource(SourceName)</c> and <c>AddMeter(MeterName)</c>.
/// </remarks>
public static class MigrationTelemetry
{
    /// <summary>The name of the activity source of the migration's spans.</summary>
    public const string SourceName = "DurableMigration";

    /// <summary>The name of the meter of the migration's metrics.</summary>
    public const string MeterName = "DurableMigration";

    /// <summary>The span tag naming the wave.</summary>
    public const string WaveTag = "dmig.wave";

    /// <summary>The span tag naming the database.</summary>
    public const string DatabaseTag = "dmig.database";

    /// <summary>The span tag naming the step the activity belongs to (<c>migrate</c>, <c>monitor</c>, <c>cutover</c>, ...).</summary>
    public const string StepTag = "dmig.step";

    /// <summary>Gets the activity source of the migration's spans: one span per activity run.</summary>
    public static ActivitySource ActivitySource { get; } = new(SourceName);
}
