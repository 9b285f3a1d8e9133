using System.Diagnostics;
using DurableMigration.Monitoring;
using Microsoft.DurableTask;

namespace DurableMigration.Migration.Activities;

/// <summary>The base of the migration's activities: runs one in an OpenTelemetry span (<see cref="MigrationTelemetry.ActivitySource"/>).</summary>
/// <remarks>
/// The span is named after the activity and tagged with the wave, the database and the step the activity belongs to; a
/// failure sets its status to error with the exception's type and message (providers' messages carry no connection
/// strings). Nothing is recorded when no listener samples the source, so the cost is one check per run.
/// </remarks>
/// <typeparam name="TInput">The activity's input.</typeparam>
/// <typeparam name="TOutput">The activity's output.</typeparam>
/// <param name="step">The step the activity belongs to (<c>migrate</c>, <c>monitor</c>, ..., <c>rollback</c>, <c>alert</c>).</param>
public abstract class MigrationActivity<TInput, TOutput>(string step) : TaskActivity<TInput, TOutput>
{
    /// <summary>The step name of the compensations' activities.</summary>
    protected const string RollbackStep = "rollback";

    /// <summary>Gets the step the activity belongs to.</summary>
    public string Step { get; } = step;

    /// <inheritdoc/>
    public sealed override async Task<TOutput> RunAsync(TaskActivityContext context, TInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        using Activity? span = MigrationTelemetry.ActivitySource.StartActivity(context.Name.Name, ActivityKind.Internal);
        if (span is not null)
        {
            var (wave, database) = Describe(input);
            span.SetTag(MigrationTelemetry.WaveTag, wave);
            span.SetTag(MigrationTelemetry.DatabaseTag, database);
            span.SetTag(MigrationTelemetry.StepTag, Step);
            span.SetTag("dmig.instance", context.InstanceId);
        }

        try
        {
            return await RunCoreAsync(context, input).ConfigureAwait(false);
        }
        catch (Exception exception) when (Failed(span, exception))
        {
            throw; // never reached: the filter only marks the span
        }
    }

    /// <summary>Does the activity's work.</summary>
    /// <param name="context">The activity's context.</param>
    /// <param name="input">The activity's input.</param>
    /// <returns>The activity's output.</returns>
    protected abstract Task<TOutput> RunCoreAsync(TaskActivityContext context, TInput input);

    private static (string? Wave, string? Database) Describe(TInput input) => input switch
    {
        DatabaseStepInput step => (step.WaveId, step.Database?.Name),
        ProgressQuery query => (query.WaveId, query.Database),
        AlertRequest alert => (alert.Alert?.WaveId, alert.Alert?.Database),
        _ => (null, null),
    };

    /// <summary>Marks the span failed; false, so the exception goes on untouched.</summary>
    private static bool Failed(Activity? span, Exception exception)
    {
        span?.SetStatus(ActivityStatusCode.Error, $"{exception.GetType().Name}: {exception.Message}");
        span?.SetTag("error.type", exception.GetType().FullName);
        return false;
    }
}
