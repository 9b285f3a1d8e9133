namespace DurableMigration.Orchestration;

/// <summary>What a failed activity or orchestration reported: error type, message, stack trace and inner failure.</summary>
/// <param name="ErrorType">Full name of the exception type.</param>
/// <param name="ErrorMessage">The exception's message.</param>
/// <param name="StackTrace">The stack trace where the failure was raised, if known.</param>
/// <param name="InnerFailure">The failure that caused this one, if any.</param>
/// <param name="IsNonRetriable">Whether the failing code declared that retrying cannot help.</param>
public sealed record TaskFailureDetails(
    string ErrorType,
    string ErrorMessage,
    string? StackTrace = null,
    TaskFailureDetails? InnerFailure = null,
    bool IsNonRetriable = false)
{
    /// <summary>Captures an exception (and its inner exceptions) as failure details.</summary>
    public static TaskFailureDetails FromException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception is TaskFailedException { FailureDetails: var details })
        {
            // An orchestrator that lets a task failure escape fails with the task's own failure, as Durable Functions reports it.
            return new TaskFailureDetails(
                typeof(TaskFailedException).FullName!,
                exception.Message,
                exception.StackTrace,
                details);
        }

        return new TaskFailureDetails(
            exception.GetType().FullName ?? exception.GetType().Name,
            exception.Message,
            exception.StackTrace,
            exception.InnerException is { } inner ? FromException(inner) : null,
            exception is INonRetriableException);
    }

    /// <summary>Tells whether this failure, or any failure it wraps, was raised as <typeparamref name="T"/> or a type derived from it.</summary>
    public bool IsCausedBy<T>()
        where T : Exception
    {
        for (TaskFailureDetails? current = this; current is not null; current = current.InnerFailure)
        {
            if (current.ErrorType == typeof(T).FullName || IsDerivedFrom(current.ErrorType, typeof(T)))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        InnerFailure is null ? $"{ErrorType}: {ErrorMessage}" : $"{ErrorType}: {ErrorMessage} ---> {InnerFailure}";

    private static bool IsDerivedFrom(string errorType, Type baseType)
    {
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.GetType(errorType, throwOnError: false) is { } type)
            {
                return baseType.IsAssignableFrom(type);
            }
        }

        return false;
    }
}

/// <summary>Marks an exception whose cause retrying cannot remove (bad input, a blocking finding, a refused credential).</summary>
public interface INonRetriableException
{
}
