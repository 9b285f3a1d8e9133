using System.Text.Json;
using System.Text.RegularExpressions;
using DurableMigration.Manifest;
using DurableMigration.Migration;

namespace DurableMigration.Application.Tickets;

/// <summary>What a ticketing system may ask of a wave.</summary>
public enum TicketAction
{
    /// <summary><c>startWave</c>: start the wave of the message's manifest.</summary>
    StartWave,

    /// <summary><c>approveCutover</c>: approve the cutover of one database, or of every database awaiting approval.</summary>
    ApproveCutover,

    /// <summary><c>retry</c>: re-run a database that needs attention from its failed step.</summary>
    Retry,

    /// <summary><c>rollback</c>: roll the wave back.</summary>
    Rollback,
}

/// <summary>A ticket's request, read from the one message format queues and <c>POST /api/tickets</c> share (docs/tickets.md).</summary>
/// <param name="Ticket">The ticket, its system and requester.</param>
/// <param name="Action">What it asks.</param>
/// <param name="WaveId">The wave: the manifest's for <see cref="TicketAction.StartWave"/>, the message's <c>waveId</c> otherwise.</param>
/// <param name="Database">The database, for an approval of one database or a retry.</param>
/// <param name="Manifest">The checked manifest, for <see cref="TicketAction.StartWave"/>.</param>
/// <param name="TargetWrites">For a rollback after cutover: what to do with writes consumers made to the target.</param>
/// <param name="RetryRollback">For a rollback: re-run the failed compensations of the last one.</param>
public sealed partial record TicketRequest(
    TicketReference Ticket,
    TicketAction Action,
    string WaveId,
    string? Database,
    WaveManifest? Manifest,
    TargetWrites TargetWrites,
    bool RetryRollback)
{
    /// <summary>The action's name in messages.</summary>
    public string ActionName => NameOf(Action);

    /// <summary>The instance id of this request's receipt; see <see cref="TicketReceiptOrchestration"/>.</summary>
    public string ReceiptInstanceId => MigrationNames.TicketReceiptInstanceId(WaveId, ActionName, Ticket.Id, Database);

    /// <summary>Who asked, as recorded in the events the request raises: <c>ticket CHG0030001 (jane.doe)</c>.</summary>
    public string RequestedBy => Ticket.Requester is null ? $"ticket {Ticket.Id}" : $"ticket {Ticket.Id} ({Ticket.Requester})";

    /// <summary>Gets an action's name in messages (<c>startWave</c>, …).</summary>
    public static string NameOf(TicketAction action) => action switch
    {
        TicketAction.StartWave => "startWave",
        TicketAction.ApproveCutover => "approveCutover",
        TicketAction.Retry => "retry",
        _ => "rollback",
    };

    /// <summary>
    /// Reads a message: a JSON object with <c>ticketId</c>, <c>action</c>, <c>manifest</c> (an object, or JSON or YAML
    /// text) or <c>waveId</c>, and optional <c>system</c>, <c>requester</c>, <c>database</c>, <c>targetWrites</c>,
    /// <c>retry</c>. Every problem is reported, each with where it is.
    /// </summary>
    public static bool TryParse(string text, out TicketRequest? request, out IReadOnlyList<ManifestError> errors)
    {
        request = null;
        var problems = new List<ManifestError>();
        errors = problems;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text ?? string.Empty);
        }
        catch (JsonException ex)
        {
            problems.Add(new ManifestError("$", $"The message is not JSON: {ex.Message}"));
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problems.Add(new ManifestError("$", $"The message must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}."));
                return false;
            }

            var root = document.RootElement;
            foreach (var property in root.EnumerateObject())
            {
                if (!Known.Contains(property.Name))
                {
                    problems.Add(new ManifestError(property.Name, $"Unknown property '{property.Name}': a ticket message has {string.Join(", ", Known)}."));
                }
            }

            string? ticketId = Text(root, "ticketId", problems, required: true);
            if (ticketId is not null && !TicketIdPattern().IsMatch(ticketId))
            {
                problems.Add(new ManifestError("ticketId", $"'{ticketId}' is not a ticket id: use 1 to 64 letters, digits, '.', '_' or '-' (CHG0030001, MIG-142)."));
            }

            string? system = Text(root, "system", problems);
            string? requester = Text(root, "requester", problems);
            string? actionText = Text(root, "action", problems, required: true);
            TicketAction? action = null;
            if (actionText is not null)
            {
                action = Enum.GetValues<TicketAction>().Cast<TicketAction?>().FirstOrDefault(a => string.Equals(NameOf(a!.Value), actionText, StringComparison.OrdinalIgnoreCase));
                if (action is null)
                {
                    problems.Add(new ManifestError("action", $"Unknown action '{actionText}': use {string.Join(", ", Enum.GetValues<TicketAction>().Select(NameOf))}."));
                }
            }

            string? database = Text(root, "database", problems);
            string? waveId = Text(root, "waveId", problems);
            WaveManifest? manifest = null;
            if (action == TicketAction.StartWave)
            {
                manifest = ReadManifest(root, ticketId, problems);
                if (manifest is not null && waveId is not null && !string.Equals(waveId, manifest.Wave, StringComparison.Ordinal))
                {
                    problems.Add(new ManifestError("waveId", $"waveId '{waveId}' differs from the manifest's wave '{manifest.Wave}': leave it out, or make them the same."));
                }

                waveId ??= manifest?.Wave;
            }
            else if (action is not null)
            {
                if (root.TryGetProperty("manifest", out _))
                {
                    problems.Add(new ManifestError("manifest", $"Only startWave takes a manifest; {NameOf(action.Value)} names its wave with waveId."));
                }

                if (waveId is null)
                {
                    problems.Add(new ManifestError("waveId", $"{NameOf(action.Value)} needs waveId, the wave to act on."));
                }
            }

            if (action == TicketAction.Retry && database is null)
            {
                problems.Add(new ManifestError("database", "retry needs database, the database that needs attention."));
            }

            if (database is not null && action is TicketAction.StartWave or TicketAction.Rollback)
            {
                problems.Add(new ManifestError("database", $"{NameOf(action.Value)} acts on the whole wave and takes no database."));
            }

            var targetWrites = TargetWrites.Refuse;
            if (Text(root, "targetWrites", problems) is { } writes)
            {
                if (action != TicketAction.Rollback)
                {
                    problems.Add(new ManifestError("targetWrites", "Only rollback takes targetWrites."));
                }
                else if (!Enum.TryParse(writes, ignoreCase: true, out targetWrites) || !Enum.IsDefined(targetWrites) || int.TryParse(writes, out _))
                {
                    problems.Add(new ManifestError("targetWrites", $"'{writes}' is not a choice: use refuse, copyBack or discard."));
                }
            }

            bool retry = false;
            if (root.TryGetProperty("retry", out var retryElement))
            {
                if (retryElement.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    problems.Add(new ManifestError("retry", "retry takes true or false."));
                }
                else if (action != TicketAction.Rollback)
                {
                    problems.Add(new ManifestError("retry", "Only rollback takes retry (re-run the last rollback's failed compensations)."));
                }
                else
                {
                    retry = retryElement.GetBoolean();
                }
            }

            if (problems.Count > 0 || ticketId is null || action is null || waveId is null)
            {
                return false;
            }

            request = new TicketRequest(new TicketReference(ticketId, system, requester), action.Value, waveId, database, manifest, targetWrites, retry);
            return true;
        }
    }

    private static readonly string[] Known = ["ticketId", "system", "action", "requester", "manifest", "waveId", "database", "targetWrites", "retry"];

    private static string? Text(JsonElement root, string name, List<ManifestError> problems, bool required = false)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                problems.Add(new ManifestError(name, $"{name} is missing."));
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            problems.Add(new ManifestError(name, $"{name} must be a non-empty string."));
            return null;
        }

        return value.GetString()!.Trim();
    }

    /// <summary>The manifest as an object (JSON) or as text (JSON or YAML), checked as <c>dmig run</c> checks it; its errors are reported under <c>manifest.</c>.</summary>
    private static WaveManifest? ReadManifest(JsonElement root, string? ticketId, List<ManifestError> problems)
    {
        if (!root.TryGetProperty("manifest", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            problems.Add(new ManifestError("manifest", "startWave needs manifest: the wave manifest as an object, or as JSON or YAML text."));
            return null;
        }

        string? text = element.ValueKind switch
        {
            JsonValueKind.Object => element.GetRawText(),
            JsonValueKind.String => element.GetString(),
            _ => null,
        };
        if (text is null)
        {
            problems.Add(new ManifestError("manifest", "manifest must be an object, or JSON or YAML text."));
            return null;
        }

        string source = $"ticket {ticketId ?? "?"}";
        if (WaveManifestReader.TryParse(text, source, out var manifest, out var manifestErrors))
        {
            return manifest;
        }

        problems.AddRange(manifestErrors.Select(e => e with { Path = e.Path == "$" ? "manifest" : $"manifest.{e.Path}" }));
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex TicketIdPattern();
}
