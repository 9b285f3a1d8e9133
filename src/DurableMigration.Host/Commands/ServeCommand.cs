using System.CommandLine;
using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Queues;
using DurableMigration.Application;
using DurableMigration.Application.Http;
using DurableMigration.Application.Tickets;
using DurableMigration.Host.Api;
using DurableMigration.Host.Hosting;
using DurableMigration.Host.Tickets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace DurableMigration.Host.Commands;

/// <summary><c>dmig serve</c>: the wave API over HTTP (Durable Functions' routes and payloads), hosting the embedded runtime.</summary>
internal static class ServeCommand
{
    /// <summary>Where <c>dmig serve</c> listens unless <c>--urls</c> says otherwise: loopback only, on the Functions host's port.</summary>
    public const string DefaultUrls = "http://127.0.0.1:7071";

    /// <summary>The largest request body accepted unless <c>--max-request-body-size</c> says otherwise: the shared API's default, 1 MiB.</summary>
    public const long DefaultMaxRequestBodySize = WaveHttpApiOptions.DefaultMaxRequestBodySize;

    public static Command Create(CommonOptions options)
    {
        var urls = new Option<string>("--urls")
        {
            Description = $"Where to listen, ';'-separated (default {DefaultUrls}: this machine only; port 0 picks a free port)",
            DefaultValueFactory = _ => DefaultUrls,
        };
        var maxBody = new Option<long>("--max-request-body-size")
        {
            Description = "The largest request body accepted, in bytes; larger ones get 413 (default 1048576)",
            DefaultValueFactory = _ => DefaultMaxRequestBodySize,
        };
        maxBody.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() < 1)
            {
                result.AddError("--max-request-body-size must be at least 1 byte.");
            }
        });
        var queue = new Option<string?>("--queue")
        {
            Description = "Also read ticket messages from an Azure Storage queue: its connection string, or env:NAME to read it from an environment variable (kept out of the process list); UseDevelopmentStorage=true for Azurite",
            HelpName = "connection",
        };
        var queueName = new Option<string>("--queue-name")
        {
            Description = $"The ticket queue (default {TicketQueueOptions.DefaultQueueName}); messages that fail 5 times go to <queue>-poison",
            DefaultValueFactory = _ => TicketQueueOptions.DefaultQueueName,
        };
        var retryDelay = Durations.Option("--queue-retry-delay", $"How long a failed ticket message stays hidden before its next attempt (default {TicketQueueOptions.DefaultVisibilityTimeout.TotalSeconds:0}s, as the Functions app's host.json)");
        var serve = new Command("serve", "Serve the wave API over HTTP (start, status, list, approve, retry, rollback, terminate, suspend, resume, purge, tickets) and run the waves; with --queue, also carry out ticket messages from a queue. Every route but /api/health needs the key in the data directory.");
        serve.Options.Add(urls);
        serve.Options.Add(maxBody);
        serve.Options.Add(queue);
        serve.Options.Add(queueName);
        serve.Options.Add(retryDelay);
        serve.SetAction((parse, ct) =>
        {
            var queueOptions = parse.GetValue(queue) is { } connection
                ? (connection, new TicketQueueOptions(parse.GetValue(queueName)!, VisibilityTimeout: parse.GetValue(retryDelay) ?? TicketQueueOptions.DefaultVisibilityTimeout))
                : ((string, TicketQueueOptions)?)null;
            return RunAsync(options.For(parse), parse.GetValue(urls)!, parse.GetValue(maxBody), queueOptions, ct);
        });
        return serve;
    }

    private static async Task<int> RunAsync(CommandContext context, string urls, long maxRequestBodySize, (string Connection, TicketQueueOptions Options)? queue, CancellationToken ct)
    {
        QueueServiceClient? queueService = null;
        if (queue is { } q)
        {
            if (TicketQueueConnection.Open(q.Connection, out string? problem) is not { } opened)
            {
                return context.Output.Fail(DmigCommandLine.BadInput, "Invalid queue connection", problem!);
            }

            queueService = opened;
        }

        await using var host = context.CreateHost();
        // This process runs every wave it starts: with another engine on the data directory, two would compete.
        if (await host.TryStartEngineAsync(context.Command, ct).ConfigureAwait(false) is { } runner)
        {
            return context.Output.Fail(
                DmigCommandLine.NotCompleted,
                "Engine busy",
                $"The engine on {host.DataDirectory} is run by {runner.Description}. dmig serve runs the waves itself, so it cannot serve this data directory while that process runs: stop it (its waves go on under dmig serve) or serve another data directory.");
        }

        var keys = new ApiKeyFile(host.DataDirectory);
        var (key, created) = await keys.EnsureAsync(ct).ConfigureAwait(false);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = host.DataDirectory, ApplicationName = "dmig" });
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = maxRequestBodySize);
        // The framework's request lines carry query strings (a ?code= key): only its warnings go to the log file; ours name the route pattern.
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new FileLoggerProvider(Path.Combine(host.DataDirectory, "logs")));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("DurableMigration", LogLevel.Information);
        var operations = new WaveOperations(host.Client);
        builder.Services.AddSingleton(new WaveHttpApi(operations, new WaveHttpApiOptions(maxRequestBodySize)));
        builder.Services.AddSingleton(new TicketIntake(operations));
        builder.Services.AddSingleton(keys);

        await using var app = builder.Build();
        app.MapWaveApi().MapMonitor();
        TicketQueueListener? listener = null;
        if (queueService is not null)
        {
            listener = new TicketQueueListener(queueService, queue!.Value.Options, app.Services.GetRequiredService<TicketIntake>(), app.Services.GetRequiredService<ILogger<TicketQueueListener>>());
            try
            {
                await listener.PrepareAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RequestFailedException or AggregateException or InvalidOperationException)
            {
                return context.Output.Fail(DmigCommandLine.BadInput, "Cannot read the queue", $"dmig serve cannot reach ticket queue {listener.QueueUri}: {ex.Message.Split('\n')[0].Trim()}");
            }
        }

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            return context.Output.Fail(DmigCommandLine.BadInput, "Cannot listen", $"dmig serve cannot listen on {urls}: {ex.Message}");
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        context.Output.Result(
            () => new JsonObject
            {
                ["urls"] = new JsonArray([.. addresses.Select(a => (JsonNode)a)]),
                ["keyFile"] = keys.FilePath,
                ["key"] = created ? key : null,
                ["queue"] = listener?.QueueUri.ToString(),
            },
            console =>
            {
                if (created)
                {
                    console.MarkupLine($"API key (new; shown only now, kept owner-only in {Markup.Escape(keys.FilePath)}; 'dmig keys show' prints it, 'dmig keys rotate' replaces it):");
                    console.WriteLine(key);
                }
                else
                {
                    console.MarkupLine($"API key in {Markup.Escape(keys.FilePath)} ('dmig keys show' prints it).");
                }

                foreach (string address in addresses)
                {
                    console.MarkupLine($"Listening on {Markup.Escape(address)}/api/waves (wave monitor: {Markup.Escape(address)}/)");
                }

                if (listener is not null)
                {
                    console.MarkupLine($"Reading ticket messages from {Markup.Escape(listener.QueueUri.ToString())} (failing ones go to {Markup.Escape(queue!.Value.Options.PoisonQueueName)} after {queue.Value.Options.MaxDequeueCount} attempts)");
                }

                console.MarkupLine($"Waves of {Markup.Escape(host.DataDirectory)} run in this process. Ctrl+C stops serving; unfinished waves resume at the next start.");
            });

        // Ctrl+C cancels ct; the host's own lifetime may stop the application first (SIGTERM).
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(ct, app.Lifetime.ApplicationStopping);
        var reading = listener?.RunAsync(stopping.Token) ?? Task.CompletedTask;
        try
        {
            await Task.Delay(Timeout.Infinite, stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        await reading.ConfigureAwait(false);

        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await app.StopAsync(grace.Token).ConfigureAwait(false);
        context.Output.Notice("Stopped serving.");
        return DmigCommandLine.Success;
    }
}
