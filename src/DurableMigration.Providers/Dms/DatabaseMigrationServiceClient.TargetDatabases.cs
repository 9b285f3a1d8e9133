using System.Text.Json;
using Azure.Core;

namespace DurableMigration.Providers.Dms;

/// <content>The target databases themselves (<c>Microsoft.Sql</c>), on the same pipeline: read one before a migration, delete one a migration left behind.</content>
public sealed partial class DatabaseMigrationServiceClient
{
    /// <summary>
    /// The one <c>Microsoft.Sql</c> api-version the target-database calls speak: the stable <c>2021-11-01</c>, which has
    /// <c>ManagedDatabases_Get</c>, <c>ManagedDatabases_Delete</c> (long-running) and <c>Databases_Get</c>.
    /// </summary>
    public const string SqlApiVersion = "2021-11-01";

    /// <summary>
    /// Reads the target database as a Resource Manager resource: <c>GET {target}/databases/{db}?api-version=2021-11-01</c> under
    /// <c>Microsoft.Sql/servers/{server}</c> (Azure SQL Database) or <c>Microsoft.Sql/managedInstances/{mi}</c> (managed instance).
    /// </summary>
    /// <param name="target">The migration's target; not a SQL VM (its databases are no Resource Manager resources).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The database, or <see langword="null"/> when there is none (404).</returns>
    /// <exception cref="NotSupportedException">The target is a SQL Server on Azure VM.</exception>
    /// <exception cref="ArmRequestException">Resource Manager refused the request for another reason than a missing database.</exception>
    public async Task<TargetDatabaseStatus?> GetTargetDatabaseAsync(DatabaseMigrationTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        Uri uri = TargetDatabaseUri(target);
        ArmResponse response = await SendAsync(RequestMethod.Get, uri, null, cancellationToken).ConfigureAwait(false);
        if (response.Status == 404 && !IsMissingParent(response))
        {
            return null;
        }

        if (response.Status != 200)
        {
            throw Failure(response, "read", TargetDatabaseSubject(target));
        }

        using JsonDocument document = Parse(response.Content);
        JsonElement root = document.RootElement;
        JsonElement properties = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("properties", out JsonElement p) ? p : default;
        return new TargetDatabaseStatus(
            String(root, "id") ?? target.ScopeId + "/databases/" + target.TargetDatabaseName,
            String(root, "name") ?? target.TargetDatabaseName,
            String(properties, "status"),
            String(properties, "creationDate") is { } created
            && DateTimeOffset.TryParse(created, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out DateTimeOffset when)
                ? when
                : null);
    }

    /// <summary>
    /// Deletes a managed instance's database and returns once Resource Manager's long-running operation is done:
    /// <c>DELETE {managed instance}/databases/{db}?api-version=2021-11-01</c>, polled through <c>Azure-AsyncOperation</c> or
    /// <c>Location</c> with <c>Retry-After</c>.
    /// </summary>
    /// <param name="target">A managed instance target.</param>
    /// <param name="cancellationToken">Stops waiting (the service's operation goes on).</param>
    /// <returns><see langword="true"/> when a database was deleted; <see langword="false"/> when there was none.</returns>
    /// <exception cref="NotSupportedException">The target is not a managed instance: an Azure SQL Database target exists before its migration and is not the migration's to delete, and a SQL VM's databases are no Resource Manager resources.</exception>
    /// <exception cref="ArmRequestException">Resource Manager refused the delete, or it ended failed.</exception>
    public async Task<bool> DeleteManagedDatabaseAsync(DatabaseMigrationTarget target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Kind != DatabaseMigrationTargetKind.SqlMi)
        {
            throw new NotSupportedException($"Only a managed instance's database is deleted through Resource Manager here; {target} is not on a managed instance.");
        }

        string subject = TargetDatabaseSubject(target);
        ArmResponse response = await SendAsync(RequestMethod.Delete, TargetDatabaseUri(target), null, cancellationToken).ConfigureAwait(false);
        if (response.Status == 204 || (response.Status == 404 && !IsMissingParent(response)))
        {
            return false;
        }

        if (response.Status is not (200 or 202))
        {
            throw Failure(response, "delete", subject);
        }

        await WaitForOperationAsync(response, target, "delete", pollResource: false, cancellationToken, subject).ConfigureAwait(false);
        return true;
    }

    private static string TargetDatabaseSubject(DatabaseMigrationTarget target) =>
        $"database {target.TargetDatabaseName} on {target.ResourceType}/{target.TargetName}";

    private Uri TargetDatabaseUri(DatabaseMigrationTarget target)
    {
        if (target.Kind == DatabaseMigrationTargetKind.SqlVm)
        {
            throw new NotSupportedException($"A SQL Server on Azure VM's databases are no Resource Manager resources ({target}): read and drop them through SQL.");
        }

        string path = target.ScopeId + "/databases/" + Uri.EscapeDataString(target.TargetDatabaseName);
        return new Uri(_endpoint.GetLeftPart(UriPartial.Authority) + _endpoint.AbsolutePath.TrimEnd('/') + path + "?api-version=" + SqlApiVersion);
    }
}
