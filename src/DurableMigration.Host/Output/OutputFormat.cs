namespace DurableMigration.Host.Output;

/// <summary>How a command prints its result (<c>-o|--output</c>).</summary>
public enum OutputFormat
{
    /// <summary>Tables and live progress for people, on stdout.</summary>
    Table,

    /// <summary>The result as JSON on stdout; progress and errors (as problem details) on stderr.</summary>
    Json,

    /// <summary>The result as YAML on stdout; progress and errors (as problem details) on stderr.</summary>
    Yaml,
}
