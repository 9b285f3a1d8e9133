namespace DurableMigration.Manifest;

/// <summary>A database engine this build can migrate, and how.</summary>
/// <param name="Name">The engine's name as written in manifests, lower case.</param>
/// <param name="Modes">The migration modes its provider supports.</param>
/// <param name="TargetEngines">Other engines it can migrate to; migrating to the same engine is always allowed.</param>
public sealed record EngineInfo(string Name, IReadOnlyList<MigrationMode> Modes, IReadOnlyList<string> TargetEngines)
{
    /// <summary>Initializes an engine that migrates only to itself.</summary>
    /// <param name="name">The engine's name, lower case.</param>
    /// <param name="modes">The migration modes its provider supports.</param>
    public EngineInfo(string name, params MigrationMode[] modes)
        : this(name, modes, [])
    {
    }

    /// <summary>Tells whether the engine supports <paramref name="mode"/>.</summary>
    public bool Supports(MigrationMode mode) => Modes.Contains(mode);

    /// <summary>Tells whether a database of this engine can be migrated to <paramref name="targetEngine"/>.</summary>
    public bool CanMigrateTo(string targetEngine) =>
        string.Equals(Name, targetEngine, StringComparison.OrdinalIgnoreCase)
        || TargetEngines.Contains(targetEngine, StringComparer.OrdinalIgnoreCase);
}

/// <summary>The database engines this build supports, with their modes; the manifest reader checks every database against it.</summary>
public static class EngineCatalog
{
    /// <summary>Gets the supported engines, in the order error messages list them.</summary>
    /// <remarks>A provider that arrives adds one line here, with the modes its provider supports.</remarks>
    public static IReadOnlyList<EngineInfo> Engines { get; } =
    [
        new("sqlite", MigrationMode.Offline),
        new("postgresql", MigrationMode.Offline, MigrationMode.Online),
        new("sqlserver", MigrationMode.Offline, MigrationMode.Online),
    ];

    /// <summary>Finds an engine by name (case-insensitive), or returns <c>null</c> when this build does not support it.</summary>
    public static EngineInfo? Find(string engine) => Find(Engines, engine);

    internal static EngineInfo? Find(IReadOnlyList<EngineInfo> engines, string engine) =>
        engines.FirstOrDefault(e => string.Equals(e.Name, engine, StringComparison.OrdinalIgnoreCase));
}
