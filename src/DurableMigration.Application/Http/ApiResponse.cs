using System.Text.Json;
using System.Text.Json.Nodes;

namespace DurableMigration.Application.Http;

/// <summary>An answer of the wave API, for any host to write: status code, the headers that matter, and a JSON body.</summary>
/// <param name="StatusCode">The HTTP status code.</param>
/// <param name="Headers">The headers to send: <c>Location</c>, <c>Retry-After</c>, <c>x-ms-continuation-token</c>.</param>
/// <param name="Body">The JSON body; <c>null</c> for none (401 and 413 have none).</param>
/// <param name="ContentType">The body's media type: <see cref="JsonContentType"/> or <see cref="ProblemContentType"/>; <c>null</c> without a body.</param>
public sealed record ApiResponse(int StatusCode, IReadOnlyDictionary<string, string> Headers, JsonNode? Body, string? ContentType)
{
    /// <summary>The media type of a JSON body, as ASP.NET Core writes it.</summary>
    public const string JsonContentType = "application/json; charset=utf-8";

    /// <summary>The media type of RFC 7807 problem details.</summary>
    public const string ProblemContentType = "application/problem+json";

    /// <summary>The header naming where to poll: the status URI.</summary>
    public const string LocationHeader = "Location";

    /// <summary>The header saying how many seconds to wait before polling again.</summary>
    public const string RetryAfterHeader = "Retry-After";

    /// <summary>The request and response header that carries a listing's continuation token, as in Durable Functions.</summary>
    public const string ContinuationHeader = "x-ms-continuation-token";

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    /// <summary>An answer with a status code and nothing else.</summary>
    public static ApiResponse Status(int statusCode) => new(statusCode, NoHeaders, null, null);

    /// <summary>An answer with a JSON body and, optionally, headers.</summary>
    public static ApiResponse Json(int statusCode, JsonNode body, IReadOnlyDictionary<string, string>? headers = null) =>
        new(statusCode, headers ?? NoHeaders, body, JsonContentType);

    /// <summary>Writes the body as UTF-8 JSON to <paramref name="stream"/>; nothing when there is none.</summary>
    public async Task WriteBodyAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (Body is null)
        {
            return;
        }

        var writer = new Utf8JsonWriter(stream);
        await using (writer.ConfigureAwait(false))
        {
            Body.WriteTo(writer);
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
