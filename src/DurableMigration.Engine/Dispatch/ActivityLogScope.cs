using System.Collections;

namespace DurableMigration.Engine.Dispatch;

/// <summary>The logging scope around an activity's run: <c>InstanceId</c> and <c>Activity</c>, as structured key-value pairs.</summary>
/// <remarks>Logger providers that read scopes (<c>ISupportExternalScope</c>) can put the instance on the activity's lines; it carries no payload.</remarks>
internal sealed class ActivityLogScope(string instanceId, string activity) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("InstanceId", instanceId),
        1 => new("Activity", activity),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
        yield return this[1];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"{activity} of {instanceId}";
}
