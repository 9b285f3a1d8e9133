namespace DurableMigration.Providers.Tests.Dms;

/// <summary>The subscription, migration service and secrets the DMS client and runner tests use against the emulator.</summary>
internal static class DmsTestValues
{
    public const string Subscription = "00000000-1111-2222-3333-444444444444";
    public const string ResourceGroup = "waves";
    public const string MigrationService = $"/subscriptions/{Subscription}/resourceGroups/{ResourceGroup}/providers/Microsoft.DataMigration/sqlMigrationServices/dms1";

    // Secrets the tests look for in requests, logs and errors: each must appear only where it belongs.
    public const string SourcePassword = "S0urce-Pa55word-7f3a";
    public const string TargetPassword = "T4rget-Pa55word-91c2";
    public const string AccountKey = "QWNjb3VudEtleS1zZWNyZXQtZmQ5Mw==";
}
