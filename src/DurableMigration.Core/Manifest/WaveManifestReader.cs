using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DurableMigration.Manifest;

/// <summary>Reads a wave manifest (JSON or YAML text) into a <see cref="WaveManifest"/>, checking every rule in <c>docs/manifest.md</c>.</summary>
/// <remarks>Does no I/O: the caller reads the file. Every problem is reported, not only the first.</remarks>
public static partial class WaveManifestReader
{
    private static readonly string[] RootFields = ["wave", "mode", "maxParallel", "onFailure", "operatorTimeoutMinutes", "cutover", "alerts", "databases"];
    private static readonly string[] CutoverFields = ["approval", "window", "maxLagSeconds"];
    private static readonly string[] WindowFields = ["start", "end", "timeZone"];
    private static readonly string[] AlertFields = ["maxDurationMinutes", "webhook"];
    private static readonly string[] DatabaseFields = ["name", "source", "target", "dependsOn", "priority", "tables", "validation"];
    private static readonly string[] EndpointFields = ["engine", "connection", "azure"];
    private static readonly string[] AzureFields = ["resource", "migrationService", "database", "backup"];
    private static readonly string[] BackupFields = ["storageAccount", "container", "accountKey", "lastBackupName"];
    private static readonly string[] TableFields = ["include", "exclude"];
    private static readonly string[] ValidationFields = ["rowCounts", "checksums"];

    private static readonly (string Name, MigrationMode Value)[] Modes = [("offline", MigrationMode.Offline), ("online", MigrationMode.Online)];

    private static readonly (string Name, FailureAction Value)[] FailureActions =
        [("rollbackWave", FailureAction.RollbackWave), ("rollbackDatabase", FailureAction.RollbackDatabase), ("askOperator", FailureAction.AskOperator)];

    private static readonly (string Name, CutoverApproval Value)[] Approvals = [("auto", CutoverApproval.Auto), ("manual", CutoverApproval.Manual)];

    /// <summary>Reads and checks a wave manifest.</summary>
    /// <param name="text">The manifest's text, JSON or YAML.</param>
    /// <param name="fileName">The file it came from, if any; only its extension is used: <c>.json</c> means JSON, <c>.yaml</c> or <c>.yml</c> YAML, anything else lets the text decide (JSON when it starts with <c>{</c> or <c>[</c>).</param>
    /// <returns>The manifest, with every default applied.</returns>
    /// <exception cref="ManifestValidationException">The manifest breaks one or more rules; <see cref="ManifestValidationException.Errors"/> lists them all.</exception>
    public static WaveManifest Parse(string text, string? fileName = null) =>
        TryParse(text, fileName, out var manifest, out var errors) ? manifest : throw new ManifestValidationException(errors);

    /// <summary>Reads and checks a wave manifest without throwing on a broken one.</summary>
    /// <param name="text">The manifest's text, JSON or YAML.</param>
    /// <param name="fileName">The file it came from, if any; only its extension is used, as in <see cref="Parse"/>.</param>
    /// <param name="manifest">The manifest when it is valid; otherwise <c>null</c>.</param>
    /// <param name="errors">Every problem found; empty when the manifest is valid.</param>
    /// <returns><c>true</c> when the manifest is valid.</returns>
    public static bool TryParse(string text, string? fileName, [NotNullWhen(true)] out WaveManifest? manifest, out IReadOnlyList<ManifestError> errors) =>
        TryParse(text, fileName, EngineCatalog.Engines, out manifest, out errors);

    /// <summary>As the public overload, against an explicit engine list (tests use it to try engines this build lacks).</summary>
    internal static bool TryParse(
        string text,
        string? fileName,
        IReadOnlyList<EngineInfo> engines,
        [NotNullWhen(true)] out WaveManifest? manifest,
        out IReadOnlyList<ManifestError> errors)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(engines);
        var reader = new Reader(engines);
        manifest = reader.Read(text, fileName);
        errors = [.. reader.Errors];
        if (reader.Errors.Count > 0)
        {
            manifest = null;
            return false;
        }

        return manifest is not null;
    }

    /// <summary>Wave ids and database names: 1 to 100 characters of letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainFieldName();

    /// <summary>One reading: collects errors while it builds the model with defaults in place of bad values.</summary>
    private sealed class Reader(IReadOnlyList<EngineInfo> engines)
    {
        private readonly List<ManifestError> errors = [];

        public List<ManifestError> Errors => errors;

        public WaveManifest? Read(string text, string? fileName)
        {
            text = text.TrimStart('\uFEFF'); // a byte order mark decoded into the text
            if (string.IsNullOrWhiteSpace(text))
            {
                Error(string.Empty, "the manifest is empty");
                return null;
            }

            var json = ManifestSyntax.IsJson(text, fileName);
            var root = ManifestSyntax.Parse(text, json, out var syntaxError);
            if (root is null)
            {
                Error(string.Empty, syntaxError ?? "the manifest is empty");
                return null;
            }

            if (root.Kind != ManifestNodeKind.Object)
            {
                Error(string.Empty, $"the manifest must be an object of fields (wave, databases, ...), got {root.KindName}");
                return null;
            }

            var fields = Fields(root, string.Empty, RootFields);
            var wave = RequiredString(fields, "wave");
            if (wave is not null && !Identifier().IsMatch(wave))
            {
                Error("wave", $"{Quote(wave)} is not a valid wave id: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit (it becomes the orchestration instance id)");
            }

            var mode = Enum(fields, "mode", Modes, MigrationMode.Offline);
            var maxParallel = Integer(fields, "maxParallel", 1) ?? 4;
            var onFailure = Enum(fields, "onFailure", FailureActions, FailureAction.RollbackWave);
            var operatorTimeout = Integer(fields, "operatorTimeoutMinutes", 1) ?? 60;
            var cutover = ReadCutover(fields);
            var alerts = ReadAlerts(fields);
            var databases = ReadDatabases(fields, mode);

            return wave is null
                ? null
                : new WaveManifest(
                    wave,
                    mode,
                    maxParallel,
                    new FailurePolicy(onFailure, TimeSpan.FromMinutes(operatorTimeout)),
                    cutover,
                    alerts,
                    databases);
        }

        private CutoverPolicy ReadCutover(ObjectFields parent)
        {
            var fields = OptionalObject(parent, "cutover", CutoverFields);
            if (fields is null)
            {
                return new CutoverPolicy(CutoverApproval.Auto, null, 5);
            }

            var approval = Enum(fields, "approval", Approvals, CutoverApproval.Auto);
            MaintenanceWindow? window = null;
            if (OptionalObject(fields, "window", WindowFields) is { } windowFields)
            {
                var start = TimeOfDay(windowFields, "start");
                var end = TimeOfDay(windowFields, "end");
                var timeZone = RequiredString(windowFields, "timeZone");
                if (timeZone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out _))
                {
                    Error(
                        Child(windowFields.Path, "timeZone"),
                        $"unknown time zone {Quote(timeZone)}; use an IANA id such as Europe/Berlin or UTC, or a Windows id such as W. Europe Standard Time");
                }

                if (start is { } s && end is { } e && s == e)
                {
                    Error(Child(windowFields.Path, "end"), "the window is empty: end equals start");
                }

                if (start is { } startTime && end is { } endTime && timeZone is not null)
                {
                    window = new MaintenanceWindow(startTime, endTime, timeZone);
                }
            }

            var maxLag = Number(fields, "maxLagSeconds", 0) ?? 5;
            return new CutoverPolicy(approval, window, maxLag);
        }

        private AlertPolicy ReadAlerts(ObjectFields parent)
        {
            var fields = OptionalObject(parent, "alerts", AlertFields);
            if (fields is null)
            {
                return new AlertPolicy(null, null);
            }

            var maxDuration = Integer(fields, "maxDurationMinutes", 1);
            Uri? webhook = null;
            if (OptionalString(fields, "webhook") is { } text)
            {
                var path = Child(fields.Path, "webhook");
                if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                {
                    Error(path, "expected an absolute http or https URL");
                }
                else if (uri.UserInfo.Contains(':', StringComparison.Ordinal))
                {
                    Error(path, "the webhook URL carries a password (user:password@); manifests must not contain credentials");
                }
                else
                {
                    webhook = uri;
                }
            }

            return new AlertPolicy(maxDuration, webhook);
        }

        private List<DatabaseSpec> ReadDatabases(ObjectFields parent, MigrationMode mode)
        {
            var items = RequiredArray(parent, "databases");
            var databases = new List<DatabaseSpec>();
            if (items is null)
            {
                return databases;
            }

            if (items.Count == 0)
            {
                Error("databases", "the wave has no databases; list at least one");
                return databases;
            }

            var entries = new List<DatabaseEntry>();
            for (var i = 0; i < items.Count; i++)
            {
                var path = Index("databases", i);
                if (items[i].Kind != ManifestNodeKind.Object)
                {
                    TypeError(path, "an object", items[i]);
                    continue;
                }

                entries.Add(ReadDatabase(Fields(items[i], path, DatabaseFields), mode));
            }

            CheckNames(entries);
            CheckDependencies(entries);
            foreach (var entry in entries)
            {
                if (entry.Name is not null && entry.Source is not null && entry.Target is not null)
                {
                    databases.Add(new DatabaseSpec(entry.Name, entry.Source, entry.Target, entry.DependsOn, entry.Priority, entry.Tables, entry.Validation));
                }
            }

            return databases;
        }

        private DatabaseEntry ReadDatabase(ObjectFields fields, MigrationMode mode)
        {
            var declaredName = RequiredString(fields, "name");
            var name = declaredName;
            if (name is not null && !Identifier().IsMatch(name))
            {
                Error(Child(fields.Path, "name"), $"{Quote(name)} is not a valid database name: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");
                name = null;
            }

            var label = name is null ? fields.Path : $"'{name}'";
            var source = ReadEndpoint(fields, "source", label);
            var target = ReadEndpoint(fields, "target", label);
            CheckEngines(fields.Path, label, source, target, mode);
            CheckAzure(fields.Path, label, source, target, mode);
            if (source is not null && target is not null && string.Equals(source.Connection, target.Connection, StringComparison.Ordinal))
            {
                Error(Child(Child(fields.Path, "target"), "connection"), $"the target connection of {label} is the same as its source connection; a database cannot be migrated onto itself");
            }

            var dependsOn = new List<(string Name, string Path)>();
            if (OptionalArray(fields, "dependsOn") is { } dependencies)
            {
                var dependsOnPath = Child(fields.Path, "dependsOn");
                for (var i = 0; i < dependencies.Count; i++)
                {
                    if (StringOf(dependencies[i], Index(dependsOnPath, i)) is { } dependency)
                    {
                        dependsOn.Add((dependency, Index(dependsOnPath, i)));
                    }
                }
            }

            var priority = Integer(fields, "priority", int.MinValue) ?? 0;
            TableFilter? tables = null;
            if (OptionalObject(fields, "tables", TableFields) is { } tableFields)
            {
                tables = new TableFilter(StringList(tableFields, "include"), StringList(tableFields, "exclude"));
            }

            var validation = new ValidationOptions(true, true);
            if (OptionalObject(fields, "validation", ValidationFields) is { } validationFields)
            {
                validation = new ValidationOptions(Boolean(validationFields, "rowCounts") ?? true, Boolean(validationFields, "checksums") ?? true);
            }

            return new DatabaseEntry(fields.Path, declaredName, name, source, target, dependsOn, priority, tables, validation);
        }

        private DatabaseEndpoint? ReadEndpoint(ObjectFields database, string side, string label)
        {
            var fields = RequiredObject(database, side, EndpointFields);
            if (fields is null)
            {
                return null;
            }

            var engine = RequiredString(fields, "engine")?.ToLowerInvariant();
            var connection = RequiredString(fields, "connection");
            if (connection is not null && ConnectionRules.Check(connection, $"the {side} connection of {label}") is { } problem)
            {
                Error(Child(fields.Path, "connection"), problem);
            }

            var azure = OptionalObject(fields, "azure", AzureFields) is { } azureFields ? ReadAzure(azureFields, label) : null;
            return engine is null || connection is null ? null : new DatabaseEndpoint(engine, connection) { Azure = azure };
        }

        private AzureTargetSpec? ReadAzure(ObjectFields fields, string label)
        {
            var resource = RequiredString(fields, "resource");
            if (resource is not null && AzureResourceIds.TargetKindOf(resource) is null)
            {
                Error(
                    Child(fields.Path, "resource"),
                    $"database {label}: {Quote(resource)} is not the Resource Manager id of a SQL target; write /subscriptions/{{id}}/resourceGroups/{{group}}/providers/ followed by Microsoft.Sql/servers/{{server}} (Azure SQL Database), Microsoft.Sql/managedInstances/{{instance}} or Microsoft.SqlVirtualMachine/sqlVirtualMachines/{{vm}}");
                resource = null;
            }

            var service = RequiredString(fields, "migrationService");
            if (service is not null && !AzureResourceIds.IsMigrationService(service))
            {
                Error(
                    Child(fields.Path, "migrationService"),
                    $"database {label}: {Quote(service)} is not the Resource Manager id of a migration service; write /subscriptions/{{id}}/resourceGroups/{{group}}/providers/{AzureResourceIds.MigrationServiceType}/{{name}}");
                service = null;
            }

            var database = OptionalString(fields, "database");
            AzureBackupSpec? backup = null;
            if (OptionalObject(fields, "backup", BackupFields) is { } backupFields)
            {
                var account = RequiredString(backupFields, "storageAccount");
                if (account is not null && !AzureResourceIds.IsStorageAccount(account))
                {
                    Error(Child(backupFields.Path, "storageAccount"), $"database {label}: {Quote(account)} is not the Resource Manager id of a storage account (…/providers/Microsoft.Storage/storageAccounts/{{name}})");
                    account = null;
                }

                var container = RequiredString(backupFields, "container");
                var key = RequiredString(backupFields, "accountKey");
                if (key is not null && !key.StartsWith(ConnectionRules.EnvironmentPrefix, StringComparison.Ordinal) && !key.StartsWith(ConnectionRules.FilePrefix, StringComparison.Ordinal))
                {
                    Error(Child(backupFields.Path, "accountKey"), $"the backup account key of {label} must be a reference: write env:NAME or file:PATH, so the key is resolved inside activities and never enters the orchestration history");
                    key = null;
                }
                else if (key is not null && ConnectionRules.Check(key, $"the backup account key of {label}") is { } problem)
                {
                    Error(Child(backupFields.Path, "accountKey"), problem);
                    key = null;
                }

                var lastBackup = OptionalString(backupFields, "lastBackupName");
                backup = account is null || container is null || key is null ? null : new AzureBackupSpec(account, container, key) { LastBackupName = lastBackup };
            }

            return resource is null || service is null ? null : new AzureTargetSpec(resource, service) { Database = database, Backup = backup };
        }

        private void CheckAzure(string path, string label, DatabaseEndpoint? source, DatabaseEndpoint? target, MigrationMode mode)
        {
            if (source?.Azure is not null)
            {
                Error(Child(Child(path, "source"), "azure"), $"database {label}: 'azure' describes where a migration writes; move it to the target");
            }

            if (target is null)
            {
                return;
            }

            var azurePath = Child(Child(path, "target"), "azure");
            bool sqlServer = string.Equals(target.Engine, "sqlserver", StringComparison.Ordinal);
            if (target.Azure is null)
            {
                if (sqlServer && !HasError(azurePath))
                {
                    Error(azurePath, $"database {label}: a sqlserver target needs 'azure' (resource and migrationService): this build moves SQL Server databases through Azure Database Migration Service");
                }

                return;
            }

            if (!sqlServer)
            {
                Error(azurePath, $"database {label}: 'azure' applies to sqlserver targets only, not {target.Engine}");
                return;
            }

            var kind = target.Azure.Kind;
            if (kind == AzureTargetKind.SqlDb)
            {
                if (mode == MigrationMode.Online)
                {
                    Error(Child(azurePath, "resource"), $"database {label}: Azure SQL Database targets (Microsoft.Sql/servers) migrate offline only; use mode: offline, or a managed instance or SQL VM target");
                }

                if (target.Azure.Backup is not null)
                {
                    Error(Child(azurePath, "backup"), $"database {label}: Azure SQL Database migrations copy tables, not backups; remove 'backup'");
                }
            }
            else if (target.Azure.Backup is null && !HasError(Child(azurePath, "backup")))
            {
                Error(Child(azurePath, "backup"), $"database {label}: a {(kind == AzureTargetKind.SqlMi ? "managed instance" : "SQL VM")} migration restores backups; add 'backup' (storageAccount, container, accountKey)");
            }
        }

        private void CheckEngines(string path, string label, DatabaseEndpoint? source, DatabaseEndpoint? target, MigrationMode mode)
        {
            var known = string.Join(", ", engines.Select(e => e.Name));
            EngineInfo? sourceEngine = null;
            EngineInfo? targetEngine = null;
            foreach (var (side, endpoint) in new[] { ("source", source), ("target", target) })
            {
                if (endpoint is null)
                {
                    continue;
                }

                var engine = EngineCatalog.Find(engines, endpoint.Engine);
                var enginePath = Child(Child(path, side), "engine");
                if (engine is null)
                {
                    Error(enginePath, $"unknown engine {Quote(endpoint.Engine)}; this build supports: {known}");
                    continue;
                }

                if (!engine.Supports(mode) && (side == "source" || sourceEngine != engine))
                {
                    var supported = string.Join(" or ", engine.Modes.Select(m => ModeName(m)));
                    Error(
                        enginePath,
                        engine.Modes.Count == 0
                            ? $"database {label}: {engine.Name} supports no migration mode in this build"
                            : $"database {label}: {engine.Name} does not support {ModeName(mode)} mode; use mode: {supported}");
                }

                if (side == "source")
                {
                    sourceEngine = engine;
                }
                else
                {
                    targetEngine = engine;
                }
            }

            if (sourceEngine is not null && targetEngine is not null && !sourceEngine.CanMigrateTo(targetEngine.Name))
            {
                var allowed = string.Join(", ", new[] { sourceEngine.Name }.Concat(sourceEngine.TargetEngines));
                Error(
                    Child(Child(path, "target"), "engine"),
                    $"database {label}: this build cannot migrate {sourceEngine.Name} to {targetEngine.Name}; {sourceEngine.Name} migrates to: {allowed}");
            }
        }

        private void CheckNames(List<DatabaseEntry> entries)
        {
            var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in entries)
            {
                if (entry.Name is null)
                {
                    continue;
                }

                if (seen.TryGetValue(entry.Name, out var firstPath))
                {
                    Error(Child(entry.Path, "name"), $"duplicate database name '{entry.Name}': {firstPath} has it already (names compare case-insensitively)");
                    entry.Name = null;
                }
                else
                {
                    seen.Add(entry.Name, entry.Path);
                }
            }
        }

        private void CheckDependencies(List<DatabaseEntry> entries)
        {
            var byName = entries.Where(e => e.Name is not null).ToDictionary(e => e.Name!, StringComparer.OrdinalIgnoreCase);
            var declared = entries.Where(e => e.DeclaredName is not null).Select(e => e.DeclaredName!).ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var entry in entries)
            {
                foreach (var (dependency, path) in entry.RawDependsOn)
                {
                    if (entry.Name is not null && string.Equals(dependency, entry.Name, StringComparison.OrdinalIgnoreCase))
                    {
                        Error(path, $"'{entry.Name}' depends on itself");
                    }
                    else if (!byName.TryGetValue(dependency, out var target))
                    {
                        if (declared.Contains(dependency))
                        {
                            continue; // names a database whose own name is already reported as invalid
                        }

                        var closest = Closest(dependency, byName.Keys);
                        Error(path, $"unknown database {Quote(dependency)}{(closest is null ? string.Empty : $"; did you mean '{closest}'?")}");
                    }
                    else if (entry.DependsOn.Contains(target.Name!, StringComparer.OrdinalIgnoreCase))
                    {
                        Error(path, $"'{target.Name}' is listed more than once");
                    }
                    else
                    {
                        entry.DependsOn.Add(target.Name!); // the name as the database declares it
                    }
                }
            }

            var graph = entries
                .Where(e => e.Name is not null)
                .Select(e => new DatabaseSpec(e.Name!, new("", ""), new("", ""), e.DependsOn, e.Priority, null, e.Validation))
                .ToList();
            if (DependencyGraph.FindCycle(graph) is { } cycle)
            {
                var first = byName[cycle[0]];
                Error(Child(first.Path, "dependsOn"), $"dependency cycle: {string.Join(" -> ", cycle)} (read each arrow as 'depends on')");
            }
        }

        private ObjectFields Fields(ManifestNode node, string path, string[] known)
        {
            var fields = new ObjectFields(path);
            foreach (var (name, value) in node.Fields)
            {
                var fieldPath = Child(path, name);
                if (!known.Contains(name, StringComparer.Ordinal))
                {
                    var closest = Closest(name, known);
                    Error(
                        fieldPath,
                        closest is null
                            ? $"unknown field '{name}'; known fields here: {string.Join(", ", known)}"
                            : $"unknown field '{name}'; did you mean '{closest}'?");
                }
                else if (!fields.Values.TryAdd(name, value))
                {
                    Error(fieldPath, $"field '{name}' appears more than once");
                }
            }

            return fields;
        }

        private ObjectFields? RequiredObject(ObjectFields parent, string name, string[] known) =>
            Required(parent, name) is { } node ? ObjectOf(node, Child(parent.Path, name), known) : null;

        private ObjectFields? OptionalObject(ObjectFields parent, string name, string[] known) =>
            Optional(parent, name) is { } node ? ObjectOf(node, Child(parent.Path, name), known) : null;

        private ObjectFields? ObjectOf(ManifestNode node, string path, string[] known)
        {
            if (node.Kind != ManifestNodeKind.Object)
            {
                TypeError(path, "an object", node);
                return null;
            }

            return Fields(node, path, known);
        }

        private List<ManifestNode>? RequiredArray(ObjectFields parent, string name) =>
            Required(parent, name) is { } node ? ArrayOf(node, Child(parent.Path, name)) : null;

        private List<ManifestNode>? OptionalArray(ObjectFields parent, string name) =>
            Optional(parent, name) is { } node ? ArrayOf(node, Child(parent.Path, name)) : null;

        private List<ManifestNode>? ArrayOf(ManifestNode node, string path)
        {
            if (node.Kind != ManifestNodeKind.Array)
            {
                TypeError(path, "an array", node);
                return null;
            }

            return node.Items;
        }

        private List<string> StringList(ObjectFields parent, string name)
        {
            var list = new List<string>();
            if (OptionalArray(parent, name) is { } items)
            {
                var path = Child(parent.Path, name);
                for (var i = 0; i < items.Count; i++)
                {
                    if (StringOf(items[i], Index(path, i)) is { } item)
                    {
                        list.Add(item);
                    }
                }
            }

            return list;
        }

        private string? RequiredString(ObjectFields parent, string name) =>
            Required(parent, name) is { } node ? StringOf(node, Child(parent.Path, name)) : null;

        private string? OptionalString(ObjectFields parent, string name) =>
            Optional(parent, name) is { } node ? StringOf(node, Child(parent.Path, name)) : null;

        private string? StringOf(ManifestNode node, string path)
        {
            if (node.Kind != ManifestNodeKind.String)
            {
                TypeError(path, "a string", node);
                return null;
            }

            if (string.IsNullOrWhiteSpace(node.Text))
            {
                Error(path, "must not be empty");
                return null;
            }

            return node.Text;
        }

        private T Enum<T>(ObjectFields parent, string name, (string Name, T Value)[] allowed, T fallback)
        {
            if (OptionalString(parent, name) is not { } text)
            {
                return fallback;
            }

            foreach (var (allowedName, value) in allowed)
            {
                if (string.Equals(text, allowedName, StringComparison.OrdinalIgnoreCase))
                {
                    return value;
                }
            }

            Error(Child(parent.Path, name), $"unknown value {Quote(text)}; expected one of: {string.Join(", ", allowed.Select(a => a.Name))}");
            return fallback;
        }

        private int? Integer(ObjectFields parent, string name, int minimum)
        {
            if (Optional(parent, name) is not { } node)
            {
                return null;
            }

            var path = Child(parent.Path, name);
            if (node.Kind != ManifestNodeKind.Number)
            {
                TypeError(path, "an integer", node);
                return null;
            }

            if (!decimal.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                Error(path, $"{node.Text} is out of range; the largest allowed is {int.MaxValue}");
                return null;
            }

            if (value != decimal.Truncate(value))
            {
                Error(path, $"expected an integer, got {node.Text}");
                return null;
            }

            if (value < minimum)
            {
                Error(path, $"must be at least {minimum}, got {node.Text}");
                return null;
            }

            if (value > int.MaxValue)
            {
                Error(path, $"{node.Text} is out of range; the largest allowed is {int.MaxValue}");
                return null;
            }

            return (int)value;
        }

        private double? Number(ObjectFields parent, string name, double minimum)
        {
            if (Optional(parent, name) is not { } node)
            {
                return null;
            }

            var path = Child(parent.Path, name);
            if (node.Kind != ManifestNodeKind.Number)
            {
                TypeError(path, "a number", node);
                return null;
            }

            if (!double.TryParse(node.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                Error(path, $"{node.Text} is out of range");
                return null;
            }

            if (value < minimum)
            {
                Error(path, string.Create(CultureInfo.InvariantCulture, $"must be at least {minimum}, got {node.Text}"));
                return null;
            }

            return value;
        }

        private bool? Boolean(ObjectFields parent, string name)
        {
            if (Optional(parent, name) is not { } node)
            {
                return null;
            }

            if (node.Kind != ManifestNodeKind.Boolean)
            {
                TypeError(Child(parent.Path, name), "a boolean (true or false)", node);
                return null;
            }

            return node.Boolean;
        }

        private TimeOnly? TimeOfDay(ObjectFields parent, string name)
        {
            if (RequiredString(parent, name) is not { } text)
            {
                return null;
            }

            if (!TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                Error(Child(parent.Path, name), $"expected a time of day as HH:mm (00:00 to 23:59), got {Quote(text)}");
                return null;
            }

            return time;
        }

        /// <summary>Gets a required field's value; reports it missing when absent. An explicit null is reported by the type check.</summary>
        private ManifestNode? Required(ObjectFields parent, string name)
        {
            if (parent.Values.TryGetValue(name, out var node))
            {
                return node;
            }

            Error(Child(parent.Path, name), $"required field '{name}' is missing");
            return null;
        }

        /// <summary>Gets an optional field's value; absent and null both mean "use the default".</summary>
        private static ManifestNode? Optional(ObjectFields parent, string name) =>
            parent.Values.TryGetValue(name, out var node) && node.Kind != ManifestNodeKind.Null ? node : null;

        private void TypeError(string path, string expected, ManifestNode actual) =>
            Error(path, $"expected {expected}, got {actual.KindName}");

        private void Error(string path, string message) =>
            errors.Add(new ManifestError(path.Length == 0 ? "$" : path, message));

        /// <summary>Tells whether an error was already reported at <paramref name="path"/> or inside it, so a follow-up error would only repeat it.</summary>
        private bool HasError(string path) => errors.Exists(e => e.Path.StartsWith(path, StringComparison.Ordinal));
    }

    /// <summary>An object's known fields (first occurrence of each), and where the object is.</summary>
    private sealed class ObjectFields(string path)
    {
        public string Path { get; } = path;

        public Dictionary<string, ManifestNode> Values { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A database as read, before the checks that span databases.</summary>
    private sealed class DatabaseEntry(
        string path,
        string? declaredName,
        string? name,
        DatabaseEndpoint? source,
        DatabaseEndpoint? target,
        List<(string Name, string Path)> rawDependsOn,
        int priority,
        TableFilter? tables,
        ValidationOptions validation)
    {
        public string Path { get; } = path;

        /// <summary>Gets the name as written, even when invalid or a duplicate.</summary>
        public string? DeclaredName { get; } = declaredName;

        /// <summary>Gets or sets the name; <c>null</c> when missing, invalid or a duplicate.</summary>
        public string? Name { get; set; } = name;

        public DatabaseEndpoint? Source { get; } = source;

        public DatabaseEndpoint? Target { get; } = target;

        public List<(string Name, string Path)> RawDependsOn { get; } = rawDependsOn;

        /// <summary>Gets the dependencies that name another database of the wave, spelled as that database declares its name.</summary>
        public List<string> DependsOn { get; } = [];

        public int Priority { get; } = priority;

        public TableFilter? Tables { get; } = tables;

        public ValidationOptions Validation { get; } = validation;
    }

    private static string Child(string path, string name)
    {
        if (!PlainFieldName().IsMatch(name))
        {
            return $"{path}['{name.Replace("'", "\\'", StringComparison.Ordinal)}']";
        }

        return path.Length == 0 ? name : $"{path}.{name}";
    }

    private static string Index(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");

    private static string ModeName(MigrationMode mode) => mode == MigrationMode.Online ? "online" : "offline";

    /// <summary>Quotes a value for a message, shortened when long.</summary>
    private static string Quote(string value) => value.Length <= 60 ? $"'{value}'" : $"'{value[..57]}...'";

    /// <summary>Finds the candidate closest to <paramref name="name"/> (ignoring case), if it is close enough to be a likely typo.</summary>
    private static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            var allowed = candidate.Length <= 4 ? 1 : candidate.Length <= 8 ? 2 : 3;
            var likelyTypo = distance <= allowed && distance * 2 < Math.Max(name.Length, candidate.Length);
            if (likelyTypo && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
