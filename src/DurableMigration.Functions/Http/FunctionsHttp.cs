using System.Globalization;
using System.Net;
using DurableMigration.Application.Http;
using Microsoft.Azure.Functions.Worker.Http;

namespace DurableMigration.Functions.Http;

/// <summary>The Functions worker's HTTP types to and from the shared layer's <see cref="ApiRequest"/> and <see cref="ApiResponse"/>.</summary>
public static class FunctionsHttp
{
    private const string WavesSegment = "/waves";

    /// <summary>The shared layer's view of <paramref name="request"/>.</summary>
    public static ApiRequest ToApiRequest(HttpRequestData request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var query = request.Query;
        return new ApiRequest
        {
            WavesUri = WavesUri(request.Url),
            Query = ApiRequest.QueryOf(query.AllKeys.Where(k => k is not null).SelectMany(k => (query.GetValues(k) ?? []).Select(v => KeyValuePair.Create(k!, (string?)v)))),
            ContentType = Header(request, "Content-Type"),
            ContinuationToken = Header(request, ApiResponse.ContinuationHeader),
            Body = request.Body,
            ContentLength = long.TryParse(Header(request, "Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out long length) ? length : null,
            TraceId = request.FunctionContext.TraceContext?.TraceParent is { Length: > 0 } traceParent ? traceParent : null,
        };
    }

    /// <summary>Writes <paramref name="response"/> as the answer to <paramref name="request"/>.</summary>
    public static async Task<HttpResponseData> ToResponseAsync(HttpRequestData request, ApiResponse response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(response);
        var answer = request.CreateResponse((HttpStatusCode)response.StatusCode);
        foreach (var (name, value) in response.Headers)
        {
            answer.Headers.Add(name, value);
        }

        if (response.ContentType is { } contentType)
        {
            answer.Headers.Add("Content-Type", contentType);
        }

        await response.WriteBodyAsync(answer.Body, cancellationToken).ConfigureAwait(false);
        return answer;
    }

    /// <summary>
    /// The URI of the waves collection as the caller reached it: the request URL up to its first <c>/waves</c> segment,
    /// so it holds whatever route prefix the host uses (<c>api</c> by default).
    /// </summary>
    internal static string WavesUri(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        string path = url.AbsolutePath;
        int at = path.IndexOf(WavesSegment + "/", StringComparison.Ordinal);
        if (at < 0 && path.EndsWith(WavesSegment, StringComparison.Ordinal))
        {
            at = path.Length - WavesSegment.Length;
        }

        string prefix = at < 0 ? "/api" : path[..at];
        return url.GetLeftPart(UriPartial.Authority) + prefix + WavesSegment;
    }

    private static string? Header(HttpRequestData request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;
}
