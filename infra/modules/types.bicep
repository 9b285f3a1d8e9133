// Types shared by main.bicep and its modules.

@export()
@description('A connection string the Functions app reads from an app setting that is a Key Vault reference.')
type connectionSecret = {
  @description('App setting the app reads, e.g. MIGRATION_SOURCE_CONNECTION (a wave manifest names it as env:MIGRATION_SOURCE_CONNECTION).')
  @minLength(1)
  appSetting: string

  @description('Name of the Key Vault secret that holds the value; the secret itself is set outside this template (az keyvault secret set).')
  @minLength(1)
  @maxLength(127)
  secretName: string
}
