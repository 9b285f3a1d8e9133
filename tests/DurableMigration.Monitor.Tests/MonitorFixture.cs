using DurableMigration.Host.Tests;
using Microsoft.Playwright;

namespace DurableMigration.Monitor.Tests;

/// <summary>One <c>dmig serve</c> (in-process, loopback, port 0) and one headless Debian Chromium, shared by the monitor tests; each test opens its own browser context.</summary>
public sealed class MonitorFixture : IAsyncLifetime, IDisposable
{
    /// <summary>Debian's chromium package; Playwright cannot download its own browser build on these offline machines.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Gets the server the page is served by and the tests start waves on.</summary>
    public ServeFixture Server { get; } = new();

    /// <summary>Gets the browser.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not started");

    /// <summary>Gets the folder the screenshots go to: <c>TestResults/monitor</c> under the test output.</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "monitor");

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install -y --no-install-recommends chromium (scripts/test.sh does).");
        Directory.CreateDirectory(ScreenshotDirectory);
        // Waves take seconds, not the 5 s Playwright's assertions wait by default; this machine's 2 cores are shared.
        Assertions.SetDefaultExpectTimeout(30_000);
        await Server.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        // The launch REFERENCE.md verified on this machine kind; Playwright adds --no-sandbox and the quiet-network flags itself.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--disable-gpu", "--disable-quic"],
        });
    }

    /// <summary>A new context and page at 1280×800 (or <paramref name="viewport"/>), failing the test on any script error or CSP violation the page reports.</summary>
    public async Task<(IBrowserContext Context, IPage Page, List<string> Errors)> OpenAsync(ViewportSize? viewport = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseUri.ToString(),
            ViewportSize = viewport ?? new ViewportSize { Width = 1280, Height = 800 },
        });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        page.Console += (_, message) =>
        {
            // A failed request is reported below with its URL; 401s are the wrong-key test's point.
            if (message.Type == "error" && !message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal))
            {
                errors.Add(message.Text);
            }
        };
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && response.Status != 401)
            {
                errors.Add($"{response.Status} {response.Request.Method} {response.Url}");
            }
        };
        return (context, page, errors);
    }

    /// <summary>Opens the monitor and enters the key in its prompt, as an operator does once per tab.</summary>
    public async Task EnterKeyAsync(IPage page, string key, string path = "/")
    {
        await page.GotoAsync(path);
        await page.Locator("#key-input").FillAsync(key);
        await page.Locator("#key-submit").ClickAsync();
    }

    /// <summary>Saves a full-page screenshot as <c>TestResults/monitor/<paramref name="name"/>.png</c>.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        string path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Starts a wave of alpha, beta and gamma (gamma depends on both) over HTTP, with targets of its own.</summary>
    public async Task StartWaveAsync(string wave, string approval = "auto")
    {
        string manifest = await File.ReadAllTextAsync(Server.Workspace.WriteManifest(
            wave,
            approval: approval,
            targetConnection: db => $"Data Source={Path.Combine(Server.Workspace.TargetDirectory, $"{wave}-{db}.db")}"));
        var (response, body) = await Server.SendAsync(HttpMethod.Post, "api/waves", manifest);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Accepted, body?.ToJsonString());
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Server.DisposeAsync();
    }

    public void Dispose() => Server.Dispose();
}
