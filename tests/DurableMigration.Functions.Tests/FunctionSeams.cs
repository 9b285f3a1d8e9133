using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace DurableMigration.Functions.Tests;

/// <summary>The Functions worker's types that only the Functions host creates, made with Moq (they are abstract) around real services.</summary>
internal static class FunctionSeams
{
    /// <summary>A function invocation's context: its function's name, binding data, services and cancellation.</summary>
    public static FunctionContext Context(
        IServiceProvider? services = null,
        string functionName = "Function",
        IReadOnlyDictionary<string, object?>? bindingData = null,
        CancellationToken cancellationToken = default,
        string? traceParent = null)
    {
        var definition = new Mock<FunctionDefinition>();
        definition.SetupGet(d => d.Name).Returns(functionName);
        var binding = new Mock<BindingContext>();
        binding.SetupGet(b => b.BindingData).Returns(bindingData ?? new Dictionary<string, object?>());
        var trace = new Mock<TraceContext>();
        trace.SetupGet(t => t.TraceParent).Returns(traceParent ?? string.Empty);
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.FunctionDefinition).Returns(definition.Object);
        context.SetupGet(c => c.BindingContext).Returns(binding.Object);
        context.SetupGet(c => c.TraceContext).Returns(trace.Object);
        context.SetupGet(c => c.CancellationToken).Returns(cancellationToken);
        context.SetupProperty(c => c.InstanceServices, services ?? new ServiceCollection().BuildServiceProvider());
        return context.Object;
    }

    /// <summary>An HTTP request as the Functions host hands it to a function; its query comes from <paramref name="url"/>.</summary>
    public static HttpRequestData Request(string method, string url, string? body = null, string? contentType = "application/json", IEnumerable<KeyValuePair<string, string>>? headers = null, FunctionContext? context = null)
    {
        context ??= Context(traceParent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
        byte[] bytes = Encoding.UTF8.GetBytes(body ?? string.Empty);
        var all = new HttpHeadersCollection();
        if (body is not null)
        {
            all.Add("Content-Length", bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (contentType is not null)
            {
                all.Add("Content-Type", contentType);
            }
        }

        foreach (var (name, value) in headers ?? [])
        {
            all.Add(name, value);
        }

        // CallBase: HttpRequestData's own Query parses the URL, as in the host.
        var request = new Mock<HttpRequestData>(context) { CallBase = true };
        request.SetupGet(r => r.Url).Returns(new Uri(url));
        request.SetupGet(r => r.Method).Returns(method);
        request.SetupGet(r => r.Headers).Returns(all);
        request.SetupGet(r => r.Body).Returns(new MemoryStream(bytes));
        request.Setup(r => r.CreateResponse()).Returns(() => new TestHttpResponseData(context));
        return request.Object;
    }

    /// <summary>The status, a header and the JSON body (<c>null</c> when empty) of a function's answer.</summary>
    public static (HttpStatusCode Status, JsonNode? Body) Read(HttpResponseData response)
    {
        response.Body.Position = 0;
        string text = new StreamReader(response.Body).ReadToEnd();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    /// <summary>A header of <paramref name="response"/>, or <c>null</c>.</summary>
    public static string? Header(HttpResponseData response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;
}

/// <summary>A response the function fills, kept in memory.</summary>
internal sealed class TestHttpResponseData(FunctionContext context) : HttpResponseData(context)
{
    public override HttpStatusCode StatusCode { get; set; }

    public override HttpHeadersCollection Headers { get; set; } = [];

    public override Stream Body { get; set; } = new MemoryStream();

    public override HttpCookies Cookies => throw new NotSupportedException("no cookies in these tests");
}
