// The Function App's app settings, written once its identity holds its roles.
// Storage is reached over identity-based connections (no account key anywhere); connection strings are
// Key Vault references the platform resolves with the app's system-assigned identity.
// On Flex Consumption the runtime and its version live in functionAppConfig, so neither
// FUNCTIONS_WORKER_RUNTIME nor FUNCTIONS_EXTENSION_VERSION is set here.

import { connectionSecret } from 'types.bicep'

@description('Name of the Function App.')
param functionAppName string

@description('Name of the storage account.')
param storageAccountName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Name of the Key Vault holding the connection secrets.')
param keyVaultName string

@description('Name of the SQL migration service.')
param dmsName string

@description('Name of the data collection endpoint of the Logs Ingestion API.')
param dataCollectionEndpointName string

@description('Name of the data collection rule the migration records go through.')
param dataCollectionRuleName string

@description('Name of the ticket queue.')
param ticketQueueName string

@description('Name of the progress table.')
param progressTableName string

@description('Connection strings the app reads, each from an app setting that references a Key Vault secret.')
param connectionSecrets connectionSecret[]

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource sqlMigrationService 'Microsoft.DataMigration/sqlMigrationServices@2025-06-30' existing = {
  name: dmsName
}

resource recordRule 'Microsoft.Insights/dataCollectionRules@2023-03-11' existing = {
  name: dataCollectionRuleName
}

resource recordEndpoint 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' existing = {
  name: dataCollectionEndpointName
}

var plainSettings = {
  // Functions host and Durable Functions' task hub (Azure Storage backend) over the system-assigned identity:
  // the account name alone is enough, and no __credential/__clientId is needed for a system-assigned identity.
  AzureWebJobsStorage__accountName: storage.name
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  // Identity-based connection "TicketQueue" of [QueueTrigger("%TICKET_QUEUE_NAME%", Connection = "TicketQueue")].
  TicketQueue__queueServiceUri: storage.properties.primaryEndpoints.queue
  TICKET_QUEUE_NAME: ticketQueueName
  // Identity-based connection "ProgressTable" to the shared progress table.
  ProgressTable__tableServiceUri: storage.properties.primaryEndpoints.table
  PROGRESS_TABLE_NAME: progressTableName
  // The SQL migration service the app starts database migrations through (over ARM, with its identity).
  MIGRATION_DMS_RESOURCE_ID: sqlMigrationService.id
  // Migration records through the Logs Ingestion API, as the app's identity (Monitoring Metrics Publisher on the rule).
  LogsIngestion__Endpoint: recordEndpoint.properties.logsIngestion.endpoint
  LogsIngestion__RuleId: recordRule.properties.immutableId
  LogsIngestion__Stream: 'Custom-MigrationRecords_CL'
}

// A versionless reference follows the secret's current version.
var secretSettings = toObject(
  connectionSecrets,
  secret => secret.appSetting,
  secret => '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secret.secretName}/)'
)

resource appSettings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: union(plainSettings, secretSettings)
}
