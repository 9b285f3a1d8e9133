// DurableMigration's Azure deployment, into one resource group:
// the Functions app on Flex Consumption with its system-assigned identity, its storage (host, Durable Functions
// task hub, ticket queue, progress table), Application Insights on a Log Analytics workspace, a Key Vault for the
// connection secrets, the Azure Database Migration Service, and the identity's role assignments.
// No secret value passes through this template; see README.md for setting them in Key Vault.

targetScope = 'resourceGroup'

import { connectionSecret } from 'modules/types.bicep'

@description('Region of every resource (Flex Consumption must be available there).')
param location string = resourceGroup().location

@description('Short name every resource name starts from (lowercase letters and digits).')
@minLength(2)
@maxLength(8)
param namePrefix string = 'dmig'

@description('Environment the deployment is for, e.g. dev, test or prod (lowercase letters and digits).')
@minLength(2)
@maxLength(8)
param environmentName string

@description('Connection strings the app reads, each from an app setting that references the named Key Vault secret.')
param connectionSecrets connectionSecret[] = [
  {
    appSetting: 'MIGRATION_SOURCE_CONNECTION'
    secretName: 'migration-source-connection'
  }
  {
    appSetting: 'MIGRATION_TARGET_CONNECTION'
    secretName: 'migration-target-connection'
  }
]

@description('Object id of a user, group or service principal that may set the Key Vault\'s secrets (Key Vault Secrets Officer); empty for none.')
param operatorPrincipalId string = ''

@description('Kind of principal operatorPrincipalId is.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Replication of the storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

@description('Most instances the Function App scales out to (Flex Consumption allows 40 to 1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each Function App instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Days the Log Analytics workspace keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Days a deleted Key Vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Tags added to every resource.')
param tags object = {}

var ticketQueueName = 'migration-requests'
var progressTableName = 'migrationprogress'
var deploymentContainerName = 'app-package'

// Globally unique names get a token that is stable for this subscription, resource group and environment.
var token = uniqueString(subscription().id, resourceGroup().id, environmentName)
var baseName = '${namePrefix}-${environmentName}'
var compactName = toLower(replace('${namePrefix}${environmentName}', '-', ''))
var storageAccountName = take('st${compactName}${token}', 24)
var keyVaultName = take('kv${compactName}${token}', 24)
var appInsightsName = 'appi-${baseName}'
var dmsName = 'dms-${baseName}'
var dataCollectionEndpointName = 'dce-${baseName}'
var dataCollectionRuleName = 'dcr-${baseName}-records'
var functionAppName = 'func-${baseName}-${token}'
var allTags = union(
  {
    application: 'DurableMigration'
    environment: environmentName
  },
  tags
)

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    logAnalyticsName: 'log-${baseName}'
    appInsightsName: appInsightsName
    retentionInDays: logRetentionInDays
    dataCollectionEndpointName: dataCollectionEndpointName
    dataCollectionRuleName: dataCollectionRuleName
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    storageAccountName: storageAccountName
    skuName: storageSkuName
    deploymentContainerName: deploymentContainerName
    ticketQueueName: ticketQueueName
    progressTableName: progressTableName
    tags: allTags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    keyVaultName: keyVaultName
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    tags: allTags
  }
}

module dms 'modules/dms.bicep' = {
  name: 'dms'
  params: {
    location: location
    dmsName: dmsName
    tags: allTags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    planName: 'plan-${baseName}'
    functionAppName: functionAppName
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    tags: allTags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    functionAppName: functionAppName
    storageAccountName: storageAccountName
    keyVaultName: keyVaultName
    dmsName: dmsName
    dataCollectionRuleName: dataCollectionRuleName
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
  dependsOn: [
    functionApp
    storage
    keyVault
    dms
    monitoring
  ]
}

module appSettings 'modules/appsettings.bicep' = {
  name: 'appsettings'
  params: {
    functionAppName: functionAppName
    storageAccountName: storageAccountName
    appInsightsName: appInsightsName
    keyVaultName: keyVaultName
    dmsName: dmsName
    dataCollectionEndpointName: dataCollectionEndpointName
    dataCollectionRuleName: dataCollectionRuleName
    ticketQueueName: ticketQueueName
    progressTableName: progressTableName
    connectionSecrets: connectionSecrets
  }
  // After the roles: the host's first start must already reach storage and resolve its Key Vault references.
  dependsOn: [
    roles
    monitoring
  ]
}

@description('Name of the Function App.')
output functionAppName string = functionApp.outputs.functionAppName

@description('Default host name of the Function App.')
output functionAppDefaultHostName string = functionApp.outputs.defaultHostName

@description('Name of the storage account.')
output storageAccountName string = storage.outputs.storageAccountName

@description('Name of the Key Vault to set the connection secrets in.')
output keyVaultName string = keyVault.outputs.keyVaultName

@description('Resource id of the SQL migration service.')
output dmsResourceId string = dms.outputs.dmsResourceId
