using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace DurableMigration.Host.Tests;

/// <summary>One <c>dmig serve</c> on a real Kestrel server (loopback, port 0) over a temporary data directory, shared by a test class.</summary>
public class ServeFixture : IAsyncLifetime, IDisposable
{
    private readonly WaveWorkspace _workspace = new();
    private BackgroundDmig? _serve;

    internal WaveWorkspace Workspace => _workspace;

    internal BackgroundDmig Serve => _serve ?? throw new InvalidOperationException("not started");

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public Uri BaseUri { get; private set; } = new("http://127.0.0.1/");

    public string Key { get; set; } = string.Empty;

    public async Task InitializeAsync()
    {
        _serve = _workspace.Start(null, ["serve", "--urls", "http://127.0.0.1:0", .. await ExtraArgumentsAsync()]);
        Key = (await _serve.WaitForStdoutAsync(@"replaces it\):\s*(\S+)")).Groups[1].Value;
        BaseUri = new Uri((await _serve.WaitForStdoutAsync(@"Listening on (http://127\.0\.0\.1:\d+)")).Groups[1].Value + "/");
    }

    public virtual async Task DisposeAsync()
    {
        if (_serve is not null)
        {
            await _serve.Cancellation.CancelAsync();
            await _serve.Exit;
        }
    }

    /// <summary>More arguments for <c>dmig serve</c>, set up before it starts.</summary>
    protected virtual Task<string[]> ExtraArgumentsAsync() => Task.FromResult(Array.Empty<string>());

    /// <summary>Sends a request with the key in <c>x-functions-key</c> (or none when <paramref name="key"/> is empty).</summary>
    public async Task<(HttpResponseMessage Response, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json", string? key = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(BaseUri, path));
        if ((key ?? Key) is { Length: > 0 } k)
        {
            request.Headers.Add("x-functions-key", k);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        var response = await Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>
    /// Sends only the head of a <c>POST</c> declaring <paramref name="contentLength"/> body bytes, over a raw connection,
    /// and returns the status code the server answers with before any body byte arrives.
    /// </summary>
    /// <remarks>The server refuses a declared length over its limit (and a missing key) without reading the body. An
    /// HttpClient would be sending that body meanwhile, and on the refused connection sometimes sees a broken pipe
    /// instead of the answer.</remarks>
    public async Task<int> StatusOfDeclaredBodyAsync(string path, long contentLength, string? key = null)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(BaseUri.Host, BaseUri.Port);
        await using var stream = tcp.GetStream();
        string keyHeader = (key ?? Key) is { Length: > 0 } k ? $"x-functions-key: {k}\r\n" : string.Empty;
        string head = $"POST /{path} HTTP/1.1\r\nHost: {BaseUri.Authority}\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n{keyHeader}Connection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        string statusLine = await reader.ReadLineAsync() ?? throw new InvalidOperationException("no answer");
        return int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Polls <c>GET</c> <paramref name="path"/> until it answers 200, doing <paramref name="meanwhile"/> with each 202's body; returns the final body.</summary>
    public async Task<JsonNode> PollUntilDoneAsync(string path, Func<JsonNode, Task>? meanwhile = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        while (true)
        {
            var (response, body) = await SendAsync(HttpMethod.Get, path);
            if (response.StatusCode == System.Net.HttpStatusCode.OK)
            {
                return body!;
            }

            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            if (meanwhile is not null)
            {
                await meanwhile(body!);
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    /// <summary>Polls <c>GET</c> <paramref name="path"/> until its body satisfies <paramref name="until"/>; returns that body.</summary>
    public async Task<JsonNode> WaitForAsync(string path, Func<JsonNode, bool> until)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (true)
        {
            var (_, body) = await SendAsync(HttpMethod.Get, path);
            if (body is not null && until(body))
            {
                return body;
            }

            await Task.Delay(100, timeout.Token);
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _serve?.Dispose();
            Http.Dispose();
            _workspace.Dispose();
        }
    }
}
