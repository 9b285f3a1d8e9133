using Azure.Core.Serialization;
using DurableMigration.Application;
using DurableMigration.Functions.DependencyInjection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = FunctionsApplication.CreateBuilder(args);

// One JSON shape for inputs, outputs, events and custom status on every runtime (camelCase, enums as names): the
// Durable extension builds its data converter from the worker's serializer.
builder.Services.Configure<WorkerOptions>(worker => worker.Serializer = new JsonObjectSerializer(WaveJson.Options));

// Application Insights from the worker (APPLICATIONINSIGHTS_CONNECTION_STRING). Its provider's default rule keeps only
// warnings; host.json's logLevel decides instead, so the migration's information logs arrive too.
builder.Services.AddApplicationInsightsTelemetryWorkerService().ConfigureFunctionsApplicationInsights();
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var defaultRule = options.Rules.FirstOrDefault(rule => rule.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (defaultRule is not null)
    {
        options.Rules.Remove(defaultRule);
    }
});

builder.Services.AddMigrationFunctions(builder.Configuration);

await builder.Build().RunAsync().ConfigureAwait(false);
