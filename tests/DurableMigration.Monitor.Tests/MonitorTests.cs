using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DurableMigration.Monitor.Tests;

/// <summary>The wave monitor in a real browser (headless Debian Chromium) against a real <c>dmig serve</c>: watch, approve, roll back, and a wrong key.</summary>
public sealed class MonitorTests(MonitorFixture monitor) : IClassFixture<MonitorFixture>
{
    private static readonly string[] Databases = ["alpha", "beta", "gamma"];

    [Fact]
    public async Task SampleWave_EveryNodeOfTheGraphReachesCompleted_AndTheListShowsIt()
    {
        await monitor.StartWaveAsync("ui-watch");
        var (context, page, errors) = await monitor.OpenAsync();
        await using var _ = context;

        await monitor.EnterKeyAsync(page, monitor.Server.Key, "/#/waves/ui-watch");

        var nodes = page.Locator("#graph g.node");
        await Expect(nodes).ToHaveCountAsync(3);
        foreach (string database in Databases)
        {
            await Expect(page.Locator($"#graph g.node[data-db='{database}']")).ToHaveAttributeAsync("data-state", "Completed");
        }

        await Expect(page.Locator("#wave-status")).ToHaveTextAsync("Completed");
        await Expect(page.Locator("#database-rows tr[data-db='gamma'] .state")).ToHaveTextAsync("completed");
        await Expect(page.Locator("#database-rows tr[data-db='alpha'] .rows")).ToContainTextAsync("600 · 20.0 KiB"); // items and audit rows, from the result
        // The timeline reloads once the wave finished: every database has bars, gamma's after its dependencies'.
        await Expect(page.Locator("#gantt g.gantt-row")).ToHaveCountAsync(3);
        await Expect(page.Locator("#gantt g.gantt-row[data-db='gamma'] rect[data-step='remediate']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#validation table")).ToContainTextAsync("items");
        await Expect(page.Locator("#assessment table")).ToContainTextAsync("alpha");
        await page.Locator("#history-section summary").ClickAsync();
        await Expect(page.Locator("#history-table")).ToContainTextAsync("ExecutionCompleted");
        await MonitorFixture.ScreenshotAsync(page, "wave-completed");

        await page.GotoAsync("/#/");
        await Expect(page.Locator("#wave-list tr[data-wave='ui-watch'] .badge")).ToHaveTextAsync("Completed");
        await page.Locator("#status-filter").SelectOptionAsync("Running");
        await Expect(page.Locator("#wave-list tr[data-wave='ui-watch']")).ToHaveCountAsync(0);
        await page.Locator("#status-filter").SelectOptionAsync("Completed");
        await Expect(page.Locator("#wave-list tr[data-wave='ui-watch']")).ToHaveCountAsync(1);
        await MonitorFixture.ScreenshotAsync(page, "wave-list");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task ManualCutover_IsApprovedFromThePage_ForOneDatabaseAndForTheWave()
    {
        await monitor.StartWaveAsync("ui-approve", approval: "manual");
        var (context, page, errors) = await monitor.OpenAsync();
        await using var _ = context;
        await monitor.EnterKeyAsync(page, monitor.Server.Key, "/#/waves/ui-approve");

        var approved = new List<string>();
        while (approved.Count < Databases.Length)
        {
            var first = page.Locator("#database-rows button[data-action='approve-db']").First;
            await Expect(first).ToBeVisibleAsync();
            string database = (await first.GetAttributeAsync("data-db"))!;
            await Expect(page.Locator($"#graph g.node[data-db='{database}']")).ToHaveAttributeAsync("data-state", "AwaitingApproval");
            if (approved.Count == 0)
            {
                await MonitorFixture.ScreenshotAsync(page, "awaiting-approval");
            }

            // The last one through the wave's own button (every database awaiting approval), the others one by one.
            bool wholeWave = database == "gamma";
            await (wholeWave ? page.Locator("#actions button[data-action='approve']") : first).ClickAsync();
            await Expect(page.Locator("#confirm-dialog")).ToBeVisibleAsync();
            await Expect(page.Locator("#confirm-title")).ToContainTextAsync("Approve cutover");
            await page.Locator("#confirm-ok").ClickAsync();
            await Expect(page.Locator("#effect")).ToContainTextAsync($"Approved cutover of {database}");
            await Expect(page.Locator($"#graph g.node[data-db='{database}']")).Not.ToHaveAttributeAsync("data-state", "AwaitingApproval");
            approved.Add(database);
        }

        foreach (string database in Databases)
        {
            await Expect(page.Locator($"#graph g.node[data-db='{database}']")).ToHaveAttributeAsync("data-state", "Completed");
        }

        Assert.Equal(Databases, approved.Order());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task FinishedWave_IsRolledBackFromThePage_AndTheCompensationsAreListed()
    {
        await monitor.StartWaveAsync("ui-rollback");
        var (context, page, errors) = await monitor.OpenAsync();
        await using var _ = context;
        await monitor.EnterKeyAsync(page, monitor.Server.Key, "/#/waves/ui-rollback");
        await Expect(page.Locator("#graph g.node[data-state='Completed']")).ToHaveCountAsync(3);

        // Cancel first: nothing happens without confirmation.
        await page.Locator("#actions button[data-action='rollback']").ClickAsync();
        await page.Locator("#confirm-cancel").ClickAsync();
        await Expect(page.Locator("#confirm-dialog")).ToBeHiddenAsync();
        await Expect(page.Locator("#effect")).ToBeEmptyAsync();

        await page.Locator("#actions button[data-action='rollback']").ClickAsync();
        await Expect(page.Locator("#confirm-title")).ToHaveTextAsync("Roll back ui-rollback");
        await page.Locator("#confirm-ok").ClickAsync();
        await Expect(page.Locator("#effect")).ToContainTextAsync("Rollback ui-rollback:rollback started");

        foreach (string database in Databases)
        {
            await Expect(page.Locator($"#graph g.node[data-db='{database}']")).ToHaveAttributeAsync("data-state", "RolledBack");
            await Expect(page.Locator($"#compensation-log tr[data-db='{database}'] .compensation").First).ToBeVisibleAsync();
        }

        await Expect(page.Locator("#rollback-status")).ToContainTextAsync("RolledBack");
        await Expect(page.Locator("#actions button[data-action='rollback']")).ToBeDisabledAsync();
        await Expect(page.Locator("#gantt g.gantt-row[data-db='gamma'] rect[data-step='compensate']").First).ToBeVisibleAsync();
        await Expect(page.Locator("#compensation-log")).ToContainTextAsync("DropTarget");
        await Expect(page.Locator("#compensation-log")).ToContainTextAsync("SwitchConsumersBack");
        await MonitorFixture.ScreenshotAsync(page, "rolled-back");
        Assert.Null(await monitor.Server.Workspace.TryWriteAsync("alpha"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task RunningWave_IsSuspendedResumedAndTerminatedFromThePage()
    {
        await monitor.StartWaveAsync("ui-control", approval: "manual");
        var (context, page, errors) = await monitor.OpenAsync();
        await using var _ = context;
        await monitor.EnterKeyAsync(page, monitor.Server.Key, "/#/waves/ui-control");
        await Expect(page.Locator("#graph g.node[data-state='AwaitingApproval']").First).ToBeVisibleAsync();

        foreach (var (action, effect, status) in new[] { ("suspend", "Suspended: ui-control", "Suspended"), ("resume", "Resumed: ui-control", "Running"), ("terminate", "Terminated: ui-control", "Terminated") })
        {
            await page.Locator($"#actions button[data-action='{action}']").ClickAsync();
            await Expect(page.Locator("#confirm-dialog")).ToBeVisibleAsync();
            await page.Locator("#confirm-ok").ClickAsync();
            await Expect(page.Locator("#effect")).ToContainTextAsync(effect);
            await Expect(page.Locator("#wave-status")).ToHaveTextAsync(status);
        }

        await Expect(page.Locator("#actions button[data-action='terminate']")).ToBeDisabledAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task WrongKey_IsRefusedWithAClearMessage_ThenTheRightKeyIsKeptForTheSession()
    {
        var (context, page, errors) = await monitor.OpenAsync();
        await using var _ = context;

        await monitor.EnterKeyAsync(page, "not-the-key");

        await Expect(page.Locator("#key-dialog")).ToBeVisibleAsync();
        await Expect(page.Locator("#key-error")).ToContainTextAsync("refused this key (401)");
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('dmig-api-key')"));
        await MonitorFixture.ScreenshotAsync(page, "wrong-key");

        await page.Locator("#key-input").FillAsync(monitor.Server.Key);
        await page.Locator("#key-submit").ClickAsync();
        await Expect(page.Locator("#wave-list")).ToBeVisibleAsync();
        await Expect(page.Locator("#key-dialog")).ToBeHiddenAsync();
        await page.ReloadAsync();
        await Expect(page.Locator("#wave-list")).ToBeVisibleAsync();
        await Expect(page.Locator("#key-dialog")).ToBeHiddenAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Page_IsServedWithoutAKey_WithAStrictContentSecurityPolicy_AndReadableOnAPhone()
    {
        using var response = await monitor.Server.Http.GetAsync(monitor.Server.BaseUri);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("script-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        await monitor.StartWaveAsync("ui-phone");
        var (context, page, errors) = await monitor.OpenAsync(new ViewportSize { Width = 390, Height = 844 });
        await using var _ = context;
        await monitor.EnterKeyAsync(page, monitor.Server.Key, "/#/waves/ui-phone");
        await Expect(page.Locator("#graph g.node[data-state='Completed']")).ToHaveCountAsync(3);
        // Nothing but the scrollable graph, tables and timeline may be wider than the phone.
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth + 1"));
        await MonitorFixture.ScreenshotAsync(page, "phone");
        Assert.Empty(errors);
    }
}
