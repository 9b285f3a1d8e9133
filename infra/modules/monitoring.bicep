// Log Analytics workspace and the workspace-based Application Insights component the Functions app reports to, and the
// migration records' way in: the custom table MigrationRecords_CL, a data collection endpoint and a data collection rule
// whose stream the app uploads to through the Logs Ingestion API (docs/azure.md).

@description('Region of the resources.')
param location string

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Days the workspace keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Name of the data collection endpoint of the Logs Ingestion API.')
param dataCollectionEndpointName string

@description('Name of the data collection rule the migration records go through.')
param dataCollectionRuleName string

@description('Tags for every resource.')
param tags object

// The columns of MigrationRecord (src/DurableMigration.Core/Monitoring), as the table, the stream and the app name them.
var recordColumns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'Wave', type: 'string' }
  { name: 'Database', type: 'string' }
  { name: 'Kind', type: 'string' }
  { name: 'Step', type: 'string' }
  { name: 'Status', type: 'string' }
  { name: 'DurationMs', type: 'long' }
  { name: 'Rows', type: 'long' }
  { name: 'Bytes', type: 'long' }
  { name: 'LagSeconds', type: 'real' }
  { name: 'Ticket', type: 'string' }
  { name: 'Error', type: 'string' }
]

var recordStream = 'Custom-MigrationRecords_CL'

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
  }
}

resource recordTable 'Microsoft.OperationalInsights/workspaces/tables@2023-09-01' = {
  parent: workspace
  name: 'MigrationRecords_CL'
  properties: {
    plan: 'Analytics'
    retentionInDays: retentionInDays
    schema: {
      name: 'MigrationRecords_CL'
      columns: recordColumns
    }
  }
}

resource dataCollectionEndpoint 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = {
  name: dataCollectionEndpointName
  location: location
  tags: tags
  properties: {
    networkAcls: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource dataCollectionRule 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dataCollectionRuleName
  location: location
  tags: tags
  properties: {
    dataCollectionEndpointId: dataCollectionEndpoint.id
    streamDeclarations: {
      '${recordStream}': {
        columns: recordColumns
      }
    }
    destinations: {
      logAnalytics: [
        {
          name: 'logAnalytics'
          workspaceResourceId: workspace.id
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          recordStream
        ]
        destinations: [
          'logAnalytics'
        ]
        transformKql: 'source'
        outputStream: recordStream
      }
    ]
  }
  dependsOn: [
    recordTable
  ]
}

@description('Name of the Application Insights component (the app settings read its connection string from it).')
output appInsightsName string = appInsights.name

@description('Name of the data collection rule (the app settings read its immutable id and endpoint from it).')
output dataCollectionRuleName string = dataCollectionRule.name
