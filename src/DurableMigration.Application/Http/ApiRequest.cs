namespace DurableMigration.Application.Http;

/// <summary>A request to the wave API as any host received it: what the routes read, and nothing of the transport.</summary>
/// <remarks>
/// Hosts fill it from their own request type (ASP.NET Core's <c>HttpRequest</c> in <c>dmig serve</c>, the Functions
/// worker's <c>HttpRequestData</c>) after their own key check. Route values are the handlers' parameters, not fields
/// here. The body stays a stream: only the routes that take one read it, and never beyond the size limit.
/// </remarks>
public sealed record ApiRequest
{
    private static readonly ILookup<string, string> NoQuery = QueryOf([]);

    /// <summary>Gets the URI of the waves collection as the caller reached it (<c>https://host/api/waves</c>): the base of every URI in a response.</summary>
    public required string WavesUri { get; init; }

    /// <summary>Gets the query string's values by name, compared without case as ASP.NET Core and the Functions host do; a name may repeat.</summary>
    public ILookup<string, string> Query { get; init; } = NoQuery;

    /// <summary>Gets the request's <c>Content-Type</c>, which names a posted manifest's format.</summary>
    public string? ContentType { get; init; }

    /// <summary>Gets the <c>x-ms-continuation-token</c> request header: where a listing continues.</summary>
    public string? ContinuationToken { get; init; }

    /// <summary>Gets the body, read only by the routes that take one; <c>null</c> for none.</summary>
    public Stream? Body { get; init; }

    /// <summary>Gets the declared body length (<c>Content-Length</c>), if any: a length over the limit is refused without reading.</summary>
    public long? ContentLength { get; init; }

    /// <summary>Gets the trace id problem details carry as <c>traceId</c> (W3C <c>traceparent</c>), if the host has one.</summary>
    public string? TraceId { get; init; }

    /// <summary>Builds a case-insensitive query lookup from name/value pairs; a <c>null</c> value counts as empty.</summary>
    public static ILookup<string, string> QueryOf(IEnumerable<KeyValuePair<string, string?>> pairs) =>
        pairs.ToLookup(p => p.Key, p => p.Value ?? string.Empty, StringComparer.OrdinalIgnoreCase);

    /// <summary>The first value of query parameter <paramref name="name"/>, or <c>null</c> when it is absent.</summary>
    public string? QueryValue(string name) => Query[name].FirstOrDefault();
}
