// The storage account behind the Functions host and Durable Functions' task hub (blobs, queues, tables),
// Flex Consumption's deployment container, the ticket queue and its poison queue, and the shared progress table.
// Shared-key access is off: every client connects with Microsoft Entra ID (the app's managed identity).

@description('Region of the resources.')
param location string

@description('Name of the storage account (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param storageAccountName string

@description('Replication of the storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string

@description('Blob container Flex Consumption deploys the app package to.')
param deploymentContainerName string

@description('Queue the ticket trigger reads migration requests from.')
param ticketQueueName string

@description('Shared table the activities write migration progress to.')
param progressTableName string

@description('Tags for every resource.')
param tags object

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    supportsHttpsTrafficOnly: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource ticketQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = {
  parent: queueService
  name: ticketQueueName
}

// The queue trigger moves a message here after its last failed attempt; created up front so it is visible from day one.
resource ticketPoisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = {
  parent: queueService
  name: '${ticketQueueName}-poison'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource progressTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: progressTableName
}

@description('Name of the storage account.')
output storageAccountName string = storage.name

@description('URL of the deployment container (Flex Consumption functionAppConfig.deployment.storage.value).')
output deploymentContainerUrl string = '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'

@description('Queue service endpoint, for identity-based queue connections.')
output queueServiceUri string = storage.properties.primaryEndpoints.queue

@description('Table service endpoint, for identity-based table connections.')
output tableServiceUri string = storage.properties.primaryEndpoints.table

@description('Name of the ticket queue.')
output ticketQueueName string = ticketQueue.name

@description('Name of the ticket poison queue.')
output ticketPoisonQueueName string = ticketPoisonQueue.name

@description('Name of the progress table.')
output progressTableName string = progressTable.name
