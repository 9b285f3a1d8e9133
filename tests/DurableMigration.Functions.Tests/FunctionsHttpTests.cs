using DurableMigration.Functions.Http;

namespace DurableMigration.Functions.Tests;

/// <summary><see cref="FunctionsHttp"/>: the worker's request as the shared layer reads it.</summary>
public sealed class FunctionsHttpTests
{
    [Theory]
    [InlineData("https://app.example.net/api/waves", "https://app.example.net/api/waves")]
    [InlineData("https://app.example.net/api/waves?top=5", "https://app.example.net/api/waves")]
    [InlineData("https://app.example.net/api/waves/w1/approve/alpha", "https://app.example.net/api/waves")]
    [InlineData("http://localhost:7071/custom/prefix/waves/waves/retry/a", "http://localhost:7071/custom/prefix/waves")]
    [InlineData("https://app.example.net/waves/w1", "https://app.example.net/waves")]
    public void WavesUri_IsTheUrlUpToItsFirstWavesSegment(string url, string expected)
    {
        Assert.Equal(expected, FunctionsHttp.WavesUri(new Uri(url)));
    }

    [Fact]
    public void ToApiRequest_ReadsQueryHeadersLengthAndTraceParent()
    {
        var request = FunctionSeams.Request(
            "GET",
            "https://app.example.net/api/waves?runtimeStatus=Running&RuntimeStatus=Failed&top=5",
            body: "{}",
            headers: [KeyValuePair.Create("x-ms-continuation-token", "page-2")]);

        var api = FunctionsHttp.ToApiRequest(request);

        Assert.Equal("https://app.example.net/api/waves", api.WavesUri);
        Assert.Equal(["Running", "Failed"], api.Query["runtimestatus"]);
        Assert.Equal("5", api.QueryValue("top"));
        Assert.Equal("page-2", api.ContinuationToken);
        Assert.Equal("application/json", api.ContentType);
        Assert.Equal(2, api.ContentLength);
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", api.TraceId);
    }

    [Fact]
    public async Task ToResponseAsync_WritesStatusHeadersContentTypeAndBody()
    {
        var request = FunctionSeams.Request("GET", "https://app.example.net/api/waves/w1");
        var answer = DurableMigration.Application.Http.ApiResponse.Json(
            202, new System.Text.Json.Nodes.JsonObject { ["id"] = "w1" }, new Dictionary<string, string> { ["Location"] = "https://app.example.net/api/waves/w1", ["Retry-After"] = "5" });

        var response = await FunctionsHttp.ToResponseAsync(request, answer);
        var (status, body) = FunctionSeams.Read(response);

        Assert.Equal(System.Net.HttpStatusCode.Accepted, status);
        Assert.Equal("https://app.example.net/api/waves/w1", FunctionSeams.Header(response, "Location"));
        Assert.Equal("5", FunctionSeams.Header(response, "Retry-After"));
        Assert.Equal("application/json; charset=utf-8", FunctionSeams.Header(response, "Content-Type"));
        Assert.Equal("w1", body!["id"]!.GetValue<string>());
    }
}
