// Least-privilege role assignments for the Function App's system-assigned identity, each on the one resource it needs:
// - storage account: Blob Data Owner, Queue Data Contributor, Table Data Contributor (the Functions host and
//   Durable Functions' task hub over identity-based connections, the ticket queue and its poison queue, the progress table);
// - Key Vault: Secrets User (resolving the app settings' Key Vault references);
// - the SQL migration service: Contributor (starting and watching database migrations);
// - the migration records' data collection rule: Monitoring Metrics Publisher (uploading through the Logs Ingestion API).
// Optionally, an operator gets Key Vault Secrets Officer to set the secrets' values.
// Each assignment is scoped to the one resource, never to the resource group.

@description('Name of the Function App whose system-assigned identity gets the roles.')
param functionAppName string

@description('Name of the storage account.')
param storageAccountName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Name of the SQL migration service.')
param dmsName string

@description('Name of the data collection rule the migration records go through.')
param dataCollectionRuleName string

@description('Object id of a user, group or service principal that may set the Key Vault\'s secrets (Key Vault Secrets Officer); empty for none.')
param operatorPrincipalId string

@description('Kind of principal operatorPrincipalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string

// Built-in role definitions (the same GUIDs in every tenant).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
var contributor = 'b24988ac-6180-42a0-ab88-20f7382dd24c'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

var storageRoles = [
  storageBlobDataOwner
  storageQueueDataContributor
  storageTableDataContributor
]

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

// Assignment names derive from the site's resource id (known before deployment); the principal is its identity.
var principalId = site.identity.principalId

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
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

resource recordPublisherAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(recordRule.id, site.id, monitoringMetricsPublisher)
  scope: recordRule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storage.id, site.id, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource secretsUserAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, site.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource dmsContributorAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(sqlMigrationService.id, site.id, contributor)
  scope: sqlMigrationService
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', contributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsOfficerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(vault.id, operatorPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}
