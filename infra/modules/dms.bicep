// Azure Database Migration Service: the SQL migration service the app starts database migrations through.

@description('Region of the resources.')
param location string

@description('Name of the SQL migration service.')
param dmsName string

@description('Tags for every resource.')
param tags object

resource sqlMigrationService 'Microsoft.DataMigration/sqlMigrationServices@2025-06-30' = {
  name: dmsName
  location: location
  tags: tags
  properties: {}
}

@description('Name of the SQL migration service.')
output dmsName string = sqlMigrationService.name

@description('Resource id of the SQL migration service.')
output dmsResourceId string = sqlMigrationService.id
