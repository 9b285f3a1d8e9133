using System.Text;
using System.Text.Json.Nodes;
using DurableMigration.Application.Http;
using DurableMigration.Host.Hosting;
using DurableMigration.Host.Tests;

namespace DurableMigration.Application.Tests.Http;

/// <summary>
/// <see cref="WaveHttpApi"/> on its own, against the embedded runtime's client: the request parsing and answers that the
/// serve tests (a real Kestrel server) do not reach, such as chunked bodies over the limit and options from body and query.
/// </summary>
public sealed class WaveHttpApiTests : IAsyncLifetime, IDisposable
{
    private const string WavesUri = "http://example.test/api/waves";

    private readonly WaveWorkspace _workspace = new();
    private DmigHost? _host;

    private WaveHttpApi Api(long maxBody = WaveHttpApiOptions.DefaultMaxRequestBodySize) => new(new WaveOperations(_host!.Client), new WaveHttpApiOptions(maxBody));

    public Task InitializeAsync()
    {
        _host = DmigHost.Create(_workspace.DataDirectory);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    public void Dispose() => _workspace.Dispose();

    [Fact]
    public void Health_Returns200Healthy()
    {
        var response = WaveHttpApi.Health();

        Assert.Equal(200, response.StatusCode);
        Assert.Equal("healthy", response.Body!["status"]!.GetValue<string>());
        Assert.Equal(ApiResponse.JsonContentType, response.ContentType);
    }

    [Fact]
    public async Task StartAsync_ChunkedBodyOverTheLimit_Returns413WithNoBody()
    {
        var response = await Api(maxBody: 64).StartAsync(Request(body: new string(' ', 65)));

        Assert.Equal(413, response.StatusCode);
        Assert.Null(response.Body);
    }

    [Fact]
    public async Task StartAsync_DeclaredLengthOverTheLimit_Returns413WithoutReadingTheBody()
    {
        var response = await Api(maxBody: 64).StartAsync(Request() with { Body = new UnreadableStream(), ContentLength = 65 });

        Assert.Equal(413, response.StatusCode);
    }

    [Theory]
    [InlineData("application/yaml", "manifest.yaml")]
    [InlineData("application/x-yaml; charset=utf-8", "manifest.yaml")]
    [InlineData("application/json", "manifest.json")]
    [InlineData("text/plain", "manifest")]
    [InlineData(null, "manifest")]
    public async Task StartAsync_InvalidManifest_NamesItByContentType(string? contentType, string sourceName)
    {
        var response = await Api().StartAsync(Request(body: "wave: w", contentType: contentType));

        Assert.Equal(400, response.StatusCode);
        Assert.StartsWith(sourceName + ":", response.Body!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidManifest_IsAProblemWithErrorsAndTheTraceId()
    {
        var response = await Api().StartAsync(Request(body: """{"wave": "w", "databases": [{"name": "a"}]}""") with { TraceId = "00-abc-01" });

        Assert.Equal(ApiResponse.ProblemContentType, response.ContentType);
        Assert.Equal("urn:dmig:problem:invalid-manifest", response.Body!["type"]!.GetValue<string>());
        Assert.Equal(400, response.Body["status"]!.GetValue<int>());
        Assert.NotEmpty(response.Body["errors"]!.AsArray());
        Assert.Equal("00-abc-01", response.Body["traceId"]!.GetValue<string>());
        Assert.Null(response.Body["instanceId"]);
    }

    [Fact]
    public async Task StartAsync_ValidManifest_Returns202WithLocationRetryAfterAndPayloadUnderTheWavesUri()
    {
        string manifest = await File.ReadAllTextAsync(_workspace.WriteManifest("neutral-start"));

        var response = await Api().StartAsync(Request(body: manifest, contentType: "application/json"));

        Assert.Equal(202, response.StatusCode);
        Assert.Equal(WavesUri + "/neutral-start", response.Headers[ApiResponse.LocationHeader]);
        Assert.Equal("10", response.Headers[ApiResponse.RetryAfterHeader]);
        Assert.Equal(WavesUri + "/neutral-start/raiseEvent/{eventName}", response.Body!["sendEventPostUri"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetAsync_PendingWave_Returns202PollingTheEscapedStatusUri()
    {
        string manifest = await File.ReadAllTextAsync(_workspace.WriteManifest("neutral-get"));
        await Api().StartAsync(Request(body: manifest));

        var response = await Api().GetAsync(Request(), "neutral-get");

        Assert.Equal(202, response.StatusCode);
        Assert.Equal("Pending", response.Body!["runtimeStatus"]!.GetValue<string>());
        Assert.Equal(WavesUri + "/neutral-get", response.Headers[ApiResponse.LocationHeader]);
        Assert.Equal("5", response.Headers[ApiResponse.RetryAfterHeader]);
    }

    [Fact]
    public async Task GetAsync_ShowHistoryNotABoolean_Returns400()
    {
        var response = await Api().GetAsync(Request(query: "showHistory=yes"), "any");

        Assert.Equal(400, response.StatusCode);
        Assert.Equal("Invalid showHistory", response.Body!["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("runtimeStatus=1")]
    [InlineData("runtimeStatus=Running&runtimeStatus=Sleeping")]
    [InlineData("createdTimeTo=yesterday")]
    [InlineData("top=1001")]
    [InlineData("top=ten")]
    public async Task ListAsync_BadFilter_Returns400(string query)
    {
        var response = await Api().ListAsync(Request(query: query));

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(ApiResponse.ProblemContentType, response.ContentType);
    }

    [Fact]
    public async Task ListAsync_RepeatedAndCommaSeparatedStatuses_FilterByEveryOne()
    {
        string manifest = await File.ReadAllTextAsync(_workspace.WriteManifest("neutral-list"));
        await Api().StartAsync(Request(body: manifest));

        var pending = await Api().ListAsync(Request(query: "runtimeStatus=Completed,Failed&RUNTIMESTATUS=pending"));
        var finished = await Api().ListAsync(Request(query: "runtimeStatus=Completed&runtimeStatus=Failed"));

        Assert.Equal(200, pending.StatusCode);
        Assert.Equal("neutral-list", Assert.Single(pending.Body!.AsArray())!["instanceId"]!.GetValue<string>());
        Assert.Empty(finished.Body!.AsArray());
        Assert.False(pending.Headers.ContainsKey(ApiResponse.ContinuationHeader));
    }

    [Fact]
    public async Task RollbackAsync_OptionInTheBody_WinsOverTheQuery()
    {
        // The query alone would ask for both (400); the body's false for copyBack leaves only discardTargetWrites.
        var response = await Api().RollbackAsync(Request(body: """{"copyBack": false}""", query: "copyBack=true&discardTargetWrites=true"), "none");

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("No such wave", response.Body!["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"copyBack": "yes"}""", "", "Invalid option")]
    [InlineData("", "retry=maybe", "Invalid option")]
    [InlineData("{not json", "", "Invalid body")]
    [InlineData("", "copyBack=true&discardTargetWrites=true", "Conflicting options")]
    public async Task RollbackAsync_BadOptions_Return400(string body, string query, string title)
    {
        var response = await Api().RollbackAsync(Request(body: body, query: query), "none");

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(title, response.Body!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task RaiseEventAsync_RetryWithoutDatabase_Returns400()
    {
        var response = await Api().RaiseEventAsync(Request(), "none", "Retry");

        Assert.Equal(400, response.StatusCode);
        Assert.Equal("Database missing", response.Body!["title"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("approvecutover", "")]
    [InlineData("Retry", "database=alpha")]
    [InlineData("ROLLBACK", "")]
    public async Task RaiseEventAsync_WaveEvents_AreDispatchedToTheirRoutes_WhateverTheCase(string eventName, string query)
    {
        var response = await Api().RaiseEventAsync(Request(query: query), "none", eventName);

        Assert.Equal(404, response.StatusCode);
        Assert.Equal("No such wave", response.Body!["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task WriteBodyAsync_WithoutBody_WritesNothing_AndWithBody_WritesCompactJson()
    {
        using var empty = new MemoryStream();
        using var written = new MemoryStream();

        await ApiResponse.Status(401).WriteBodyAsync(empty);
        await ApiResponse.Json(200, new JsonObject { ["a"] = 1 }).WriteBodyAsync(written);

        Assert.Equal(0, empty.Length);
        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(written.ToArray()));
    }

    private static ApiRequest Request(string? body = null, string query = "", string? contentType = null) => new()
    {
        WavesUri = WavesUri,
        Query = ApiRequest.QueryOf(query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], (string?)(p.Length > 1 ? p[1] : string.Empty)))),
        ContentType = contentType,
        Body = body is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(body)),
    };

    /// <summary>A body that fails the test if anything reads it.</summary>
    private sealed class UnreadableStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("the body was read");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw new InvalidOperationException("the body was read");
    }
}
