using System.Reflection;
using DurableMigration.Conformance.Tests.Hosting;
using Xunit.Sdk;

namespace DurableMigration.Conformance.Tests;

/// <summary>
/// The runtimes every scenario runs on. Theories take the runtime's <em>name</em> (so test names read
/// <c>Scenario(runtime: "inproc")</c>) and resolve it with <see cref="Get"/>:
/// <code>[Theory, MemberData(nameof(Runtimes.All), MemberType = typeof(Runtimes))]</code>
/// A scenario one runtime cannot run at all lists the others and reports that one as skipped, with the reason:
/// <code>
/// [Theory]
/// [MemberData(nameof(Runtimes.AllExcept), Runtimes.InProc, MemberType = typeof(Runtimes))]
/// [SkipOnRuntime(Runtimes.InProc, "why Microsoft's runtime cannot do this")]
/// </code>
/// </summary>
/// <remarks>To add a runtime, implement <see cref="IConformanceRuntime"/> and list it in <see cref="Registered"/>.</remarks>
public static class Runtimes
{
    /// <summary>Microsoft's in-process runtime (<see cref="InProcessRuntime"/>).</summary>
    public const string InProc = "inproc";

    /// <summary>Our embedded SQLite runtime (<see cref="EmbeddedRuntime"/>).</summary>
    public const string Embedded = "embedded";

    static readonly IConformanceRuntime[] Registered =
    [
        new EmbeddedRuntime(),
        new InProcessRuntime(),
    ];

    /// <summary>Theory data: the name of every registered runtime.</summary>
    public static TheoryData<string> All => AllExcept(excluded: null);

    /// <summary>Theory data: every registered runtime but <paramref name="excluded"/> (may be empty).</summary>
    public static TheoryData<string> AllExcept(string? excluded)
    {
        TheoryData<string> data = [];
        foreach (IConformanceRuntime runtime in Registered.Where(r => r.Name != excluded))
        {
            data.Add(runtime.Name);
        }

        return data;
    }

    /// <summary>The runtime registered under <paramref name="name"/>.</summary>
    public static IConformanceRuntime Get(string name) =>
        Registered.FirstOrDefault(r => r.Name == name)
        ?? throw new ArgumentException($"No conformance runtime named '{name}'.", nameof(name));
}

/// <summary>
/// Adds one theory row for <paramref name="runtime"/> that xunit reports as skipped with <paramref name="reason"/>.
/// Pair it with <see cref="Runtimes.AllExcept"/> so the other runtimes still run the scenario.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class SkipOnRuntimeAttribute : DataAttribute
{
    public SkipOnRuntimeAttribute(string runtime, string reason)
    {
        this.Runtime = runtime;
        this.Skip = reason;
    }

    /// <summary>The runtime that cannot run the scenario.</summary>
    public string Runtime { get; }

    /// <inheritdoc/>
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[this.Runtime]];
}
