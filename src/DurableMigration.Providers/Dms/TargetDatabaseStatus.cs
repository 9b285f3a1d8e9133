namespace DurableMigration.Providers.Dms;

/// <summary>A target database as Resource Manager reports it (<c>Microsoft.Sql/servers/databases</c> or <c>Microsoft.Sql/managedInstances/databases</c>).</summary>
/// <param name="Id">The database's resource id.</param>
/// <param name="Name">The database's name.</param>
/// <param name="Status">Its <c>properties.status</c>: <c>Online</c>, <c>Creating</c>, <c>Restoring</c>, <c>Inaccessible</c>, ...</param>
/// <param name="CreationDate">When it was created (<c>properties.creationDate</c>), when reported.</param>
public sealed record TargetDatabaseStatus(string Id, string Name, string? Status, DateTimeOffset? CreationDate);
