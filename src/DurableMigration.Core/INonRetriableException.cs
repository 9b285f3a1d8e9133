using Microsoft.DurableTask;

namespace DurableMigration;

/// <summary>Marks an exception whose cause retrying cannot remove (bad input, a blocking finding, a refused credential).</summary>
/// <remarks>The Durable Task SDK records only an exception's type name in <see cref="TaskFailureDetails"/>; <see cref="NonRetriableFailures.IsNonRetriable"/> reads this marker back from that name, so the migration's retry policy gives up at once.</remarks>
public interface INonRetriableException
{
}

/// <summary>Tells from a failure's recorded type whether retrying can help.</summary>
public static class NonRetriableFailures
{
    /// <summary>Tells whether <paramref name="failure"/> was raised by an exception marked <see cref="INonRetriableException"/>; inner failures do not count.</summary>
    public static bool IsNonRetriable(this TaskFailureDetails failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (string.IsNullOrEmpty(failure.ErrorType))
        {
            return false;
        }

        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.GetType(failure.ErrorType, throwOnError: false) is { } type)
            {
                return typeof(INonRetriableException).IsAssignableFrom(type);
            }
        }

        return false;
    }
}
