// Example parameters for a development environment. Secret values never go here: set them in the Key Vault
// (az keyvault secret set, see README.md); this file names the secrets only.
using './main.bicep'

param environmentName = 'dev'

param namePrefix = 'dmig'

param connectionSecrets = [
  {
    appSetting: 'MIGRATION_SOURCE_CONNECTION'
    secretName: 'migration-source-connection'
  }
  {
    appSetting: 'MIGRATION_TARGET_CONNECTION'
    secretName: 'migration-target-connection'
  }
]

// Object id of the operator who sets the secrets (az ad signed-in-user show --query id -o tsv); empty for none.
param operatorPrincipalId = ''

param maximumInstanceCount = 40

param instanceMemoryMB = 2048

param tags = {
  owner: 'platform-team'
}
