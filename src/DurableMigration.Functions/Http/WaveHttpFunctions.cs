using DurableMigration.Application;
using DurableMigration.Application.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;
using Microsoft.DurableTask.Client;

namespace DurableMigration.Functions.Http;

/// <summary>The wave HTTP API as HTTP-triggered functions: each a thin adapter over <see cref="WaveHttpApi"/>, with the <c>[DurableClient]</c> of the app's task hub.</summary>
/// <remarks>
/// The same routes and payloads as <c>dmig serve</c> (<c>docs/http.md</c>), under the host's route prefix (<c>api</c>).
/// Every route but health is at function-level authorization: the Functions host checks the function key
/// (<c>x-functions-key</c> or <c>?code=</c>) before the function runs. Durable Functions'
/// <c>CreateCheckStatusResponseAsync</c> is not used: its URIs point at the extension's webhooks and carry its system
/// key, where this API's point at <c>/api/waves/{id}</c> and carry none (<c>docs/azure.md</c>).
/// </remarks>
/// <param name="options">The API's limits, the same as <c>dmig serve</c>'s.</param>
public sealed class WaveHttpFunctions(WaveHttpApiOptions options)
{
    /// <summary><c>GET /api/health</c>.</summary>
    [Function("Health")]
    public static Task<HttpResponseData> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequestData request) =>
        FunctionsHttp.ToResponseAsync(request, WaveHttpApi.Health());

    /// <summary><c>POST /api/waves</c>: starts a wave from a JSON or YAML manifest.</summary>
    [Function("StartWave")]
    public Task<HttpResponseData> StartWave(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves")] HttpRequestData request, [DurableClient] DurableTaskClient client) =>
        RunAsync(request, client, (api, r, ct) => api.StartAsync(r, ct));

    /// <summary><c>GET /api/waves</c>: lists waves, filtered and paged.</summary>
    [Function("ListWaves")]
    public Task<HttpResponseData> ListWaves(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "waves")] HttpRequestData request, [DurableClient] DurableTaskClient client) =>
        RunAsync(request, client, (api, r, ct) => api.ListAsync(r, ct));

    /// <summary><c>GET /api/waves/{id}</c>: a wave's status object.</summary>
    [Function("GetWave")]
    public Task<HttpResponseData> GetWave(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "waves/{id}")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.GetAsync(r, id, ct));

    /// <summary><c>DELETE /api/waves/{id}</c>: purges a finished wave.</summary>
    [Function("PurgeWave")]
    public Task<HttpResponseData> PurgeWave(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "waves/{id}")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.PurgeAsync(r, id, ct));

    /// <summary><c>POST /api/waves/{id}/approve[/{database}]</c>: approves cutover.</summary>
    [Function("ApproveWave")]
    public Task<HttpResponseData> ApproveWave(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves/{id}/approve/{database?}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string id,
        string? database) =>
        RunAsync(request, client, (api, r, ct) => api.ApproveAsync(r, id, string.IsNullOrEmpty(database) ? null : database, ct));

    /// <summary><c>POST /api/waves/{id}/retry/{database}</c>: re-runs a database that needs attention.</summary>
    [Function("RetryDatabase")]
    public Task<HttpResponseData> RetryDatabase(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves/{id}/retry/{database}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string id,
        string database) =>
        RunAsync(request, client, (api, r, ct) => api.RetryAsync(r, id, database, ct));

    /// <summary><c>POST /api/waves/{id}/rollback</c>: rolls a wave back.</summary>
    [Function("RollbackWave")]
    public Task<HttpResponseData> RollbackWave(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves/{id}/rollback")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.RollbackAsync(r, id, ct));

    /// <summary><c>POST /api/waves/{id}/terminate</c>: terminates a wave and its running databases.</summary>
    [Function("TerminateWave")]
    public Task<HttpResponseData> TerminateWave(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves/{id}/terminate")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.TerminateAsync(r, id, ct));

    /// <summary><c>POST /api/waves/{id}/suspend</c>: suspends a wave and its running databases.</summary>
    [Function("SuspendWave")]
    public Task<HttpResponseData> SuspendWave(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves/{id}/suspend")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.SuspendAsync(r, id, ct));

    /// <summary><c>POST /api/waves/{id}/resume</c>: resumes a wave and its suspended databases.</summary>
    [Function("ResumeWave")]
    public Task<HttpResponseData> ResumeWave(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves/{id}/resume")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.ResumeAsync(r, id, ct));

    /// <summary><c>POST /api/waves/{id}/raiseEvent/{eventName}</c>: the wave's own events only.</summary>
    [Function("RaiseWaveEvent")]
    public Task<HttpResponseData> RaiseWaveEvent(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "waves/{id}/raiseEvent/{eventName}")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string id,
        string eventName) =>
        RunAsync(request, client, (api, r, ct) => api.RaiseEventAsync(r, id, eventName, ct));

    /// <summary><c>GET /api/waves/{id}/databases</c>: a page of the wave's databases, one query per page.</summary>
    [Function("ListWaveDatabases")]
    public Task<HttpResponseData> ListWaveDatabases(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "waves/{id}/databases")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.DatabasesAsync(r, id, ct));

    /// <summary><c>GET /api/waves/{id}/timeline</c>: every database's steps, from their histories, for the monitor's timeline.</summary>
    [Function("WaveTimeline")]
    public Task<HttpResponseData> WaveTimeline(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "waves/{id}/timeline")] HttpRequestData request, [DurableClient] DurableTaskClient client, string id) =>
        RunAsync(request, client, (api, r, ct) => api.TimelineAsync(r, id, null, ct));

    /// <summary><c>GET /api/waves/{id}/databases/{database}/timeline</c>: one database's steps.</summary>
    [Function("DatabaseTimeline")]
    public Task<HttpResponseData> DatabaseTimeline(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "waves/{id}/databases/{database}/timeline")] HttpRequestData request,
        [DurableClient] DurableTaskClient client,
        string id,
        string database) =>
        RunAsync(request, client, (api, r, ct) => api.TimelineAsync(r, id, database, ct));

    private async Task<HttpResponseData> RunAsync(HttpRequestData request, DurableTaskClient client, Func<WaveHttpApi, ApiRequest, CancellationToken, Task<ApiResponse>> route)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ct = request.FunctionContext.CancellationToken;
        var api = new WaveHttpApi(new WaveOperations(client), options);
        var response = await route(api, FunctionsHttp.ToApiRequest(request), ct).ConfigureAwait(false);
        return await FunctionsHttp.ToResponseAsync(request, response, ct).ConfigureAwait(false);
    }
}
