"""Drives the loopback DMS emulator with Microsoft's own Python client (azure.mgmt.datamigration, Debian's python3-azure).

Run by DmsPythonContractTests with /usr/bin/python3. Environment:
  DMS_ENDPOINT      the emulator's base address (https://127.0.0.1:PORT/)
  DMS_CA_BUNDLE     a PEM file with the emulator's self-signed certificate
  DMS_SUBSCRIPTION  the subscription id to use
Prints one JSON object with what it saw; exits non-zero (with a traceback) on any failure.
"""

import json
import os
import sys
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.datamigration import DataMigrationManagementClient
from azure.mgmt.datamigration import models
from azure.mgmt.sql import SqlManagementClient

# The Microsoft.Sql api-version our client pins for target databases; azure.mgmt.sql 4.0.0b6 defaults to a preview, so each call names it.
SQL_API_VERSION = "2021-11-01"


class StaticTokenCredential:
    """A TokenCredential that hands out a fixed dummy token (the emulator only checks that one is there)."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("python-contract-token", int(time.time()) + 3600)


def connection(data_source, user, password):
    return models.SqlConnectionInformation(
        data_source=data_source,
        authentication="SqlAuthentication",
        user_name=user,
        password=password,
        encrypt_connection=True,
        trust_server_certificate=True,
    )


def wait_for(read, statuses, limit=20):
    """Reads a migration with $expand until its migrationStatus is one of statuses (the emulator advances on reads)."""
    for _ in range(limit):
        migration = read()
        if migration.properties.migration_status in statuses:
            return migration
    raise AssertionError("migration never reached %s (last %s)" % (statuses, migration.properties.migration_status))


def main():
    endpoint = os.environ["DMS_ENDPOINT"].rstrip("/")
    subscription = os.environ["DMS_SUBSCRIPTION"]
    rg = "contract-rg"
    service = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.DataMigration/sqlMigrationServices/dms1" % (subscription, rg)
    client = DataMigrationManagementClient(
        StaticTokenCredential(),
        subscription,
        base_url=endpoint,
        connection_verify=os.environ["DMS_CA_BUNDLE"],
        # The emulator sends "Retry-After: 0"; azure-core reads 0 as "no header" and would wait its 30 s default.
        polling_interval=0.01,
    )
    seen = {"api_version": client._config.api_version}

    # The migration service and its integration runtime.
    dms = client.sql_migration_services.get(rg, "dms1")
    seen["service"] = [dms.name, dms.provisioning_state, dms.integration_runtime_state]

    # Azure SQL Database: create (long-running PUT), read with $expand until the copy succeeds.
    db_scope = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/servers/sqlserver1" % (subscription, rg)
    created = client.database_migrations_sql_db.begin_create_or_update(
        rg,
        "sqlserver1",
        "salesdb",
        models.DatabaseMigrationSqlDb(
            properties=models.DatabaseMigrationPropertiesSqlDb(
                scope=db_scope,
                source_sql_connection=connection("sqlsource.contoso.local", "migrator", "python-source-secret"),
                source_database_name="sales",
                migration_service=service,
                target_sql_connection=connection("sqlserver1.database.windows.net", "loader", "python-target-secret"),
                table_list=["[dbo].[Customers]", "[dbo].[Orders]"],
            )
        ),
    ).result()
    assert isinstance(created.properties, models.DatabaseMigrationPropertiesSqlDb), type(created.properties)
    assert created.properties.provisioning_state == "Succeeded", created.properties.provisioning_state
    assert created.properties.source_sql_connection.password is None, "the service must not echo passwords"
    seen["sqldb_create"] = created.properties.provisioning_state
    seen["sqldb_operation_id"] = created.properties.migration_operation_id

    done = wait_for(
        lambda: client.database_migrations_sql_db.get(rg, "sqlserver1", "salesdb", expand="MigrationStatusDetails"),
        ("Succeeded", "Failed"),
    )
    details = done.properties.migration_status_details
    assert isinstance(details, models.SqlDbMigrationStatusDetails), type(details)
    seen["sqldb_status"] = done.properties.migration_status
    seen["sqldb_tables"] = [(t.table_name, t.status, t.rows_read, t.rows_copied) for t in details.list_of_copy_progress_details]
    seen["sqldb_started_on"] = done.properties.started_on.isoformat()

    # Azure SQL Database: cancel (long-running POST with the operation id).
    second = client.database_migrations_sql_db.begin_create_or_update(
        rg,
        "sqlserver1",
        "billingdb",
        models.DatabaseMigrationSqlDb(
            properties=models.DatabaseMigrationPropertiesSqlDb(
                scope=db_scope,
                source_sql_connection=connection("sqlsource.contoso.local", "migrator", "python-source-secret"),
                source_database_name="billing",
                migration_service=service,
                target_sql_connection=connection("sqlserver1.database.windows.net", "loader", "python-target-secret"),
            )
        ),
    ).result()
    client.database_migrations_sql_db.begin_cancel(
        rg, "sqlserver1", "billingdb", models.MigrationOperationInput(migration_operation_id=second.properties.migration_operation_id)
    ).result()
    seen["sqldb_cancel"] = client.database_migrations_sql_db.get(rg, "sqlserver1", "billingdb").properties.migration_status

    # Managed instance, online: create, read until ReadyForCutover, cut over.
    mi_scope = "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/managedInstances/mi1" % (subscription, rg)
    backups = models.BackupConfiguration(
        source_location=models.SourceLocation(
            azure_blob=models.AzureBlob(
                storage_account_resource_id="/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/backups" % (subscription, rg),
                account_key="python-account-key",
                blob_container_name="orders",
            )
        )
    )
    mi = client.database_migrations_sql_mi.begin_create_or_update(
        rg,
        "mi1",
        "ordersdb",
        models.DatabaseMigrationSqlMi(
            properties=models.DatabaseMigrationPropertiesSqlMi(
                scope=mi_scope,
                source_sql_connection=connection("sqlsource.contoso.local", "migrator", "python-source-secret"),
                source_database_name="orders",
                migration_service=service,
                backup_configuration=backups,
                offline_configuration=models.OfflineConfiguration(offline=False),
            )
        ),
    ).result()
    assert isinstance(mi.properties, models.DatabaseMigrationPropertiesSqlMi), type(mi.properties)
    seen["sqlmi_create"] = mi.properties.provisioning_state
    ready = wait_for(
        lambda: client.database_migrations_sql_mi.get(rg, "mi1", "ordersdb", expand="MigrationStatusDetails"),
        ("ReadyForCutover", "Failed"),
    )
    seen["sqlmi_ready"] = ready.properties.migration_status
    details = ready.properties.migration_status_details
    seen["sqlmi_full_backup_restored"] = details.is_full_backup_restored
    # The restore details parse into the typed backup-set models.
    assert isinstance(details.full_backup_set_info, models.SqlBackupSetInfo), type(details.full_backup_set_info)
    seen["sqlmi_backups"] = {
        "pending": details.pending_log_backups_count,
        "full_type": details.full_backup_set_info.backup_type,
        "full_restored": details.full_backup_set_info.is_backup_restored,
        "last_restored_file": details.last_restored_backup_set_info.list_of_backup_files[0].file_name,
        "last_restored_finish": details.last_restored_backup_set_info.backup_finish_date is not None,
        "active_sets": len(details.active_backup_sets),
    }
    client.database_migrations_sql_mi.begin_cutover(
        rg, "mi1", "ordersdb", models.MigrationOperationInput(migration_operation_id=ready.properties.migration_operation_id)
    ).result()
    seen["sqlmi_cutover"] = client.database_migrations_sql_mi.get(rg, "mi1", "ordersdb").properties.migration_status

    # Managed instance: cancel.
    other = client.database_migrations_sql_mi.begin_create_or_update(
        rg,
        "mi1",
        "inventorydb",
        models.DatabaseMigrationSqlMi(
            properties=models.DatabaseMigrationPropertiesSqlMi(
                scope=mi_scope,
                source_sql_connection=connection("sqlsource.contoso.local", "migrator", "python-source-secret"),
                source_database_name="inventory",
                migration_service=service,
                backup_configuration=backups,
                offline_configuration=models.OfflineConfiguration(offline=False),
            )
        ),
    ).result()
    client.database_migrations_sql_mi.begin_cancel(
        rg, "mi1", "inventorydb", models.MigrationOperationInput(migration_operation_id=other.properties.migration_operation_id)
    ).result()
    seen["sqlmi_cancel"] = client.database_migrations_sql_mi.get(rg, "mi1", "inventorydb").properties.migration_status

    # The canceled restore left its database partially created; Microsoft.Sql reads it and deletes it (long-running).
    sql = SqlManagementClient(
        StaticTokenCredential(),
        subscription,
        base_url=endpoint,
        connection_verify=os.environ["DMS_CA_BUNDLE"],
        polling_interval=0.01,
    )
    partial = sql.managed_databases.get(rg, "mi1", "inventorydb", api_version=SQL_API_VERSION)
    seen["sqlmi_partial_database"] = [partial.name, partial.status]
    sql.managed_databases.begin_delete(rg, "mi1", "inventorydb", api_version=SQL_API_VERSION).result()
    try:
        sql.managed_databases.get(rg, "mi1", "inventorydb", api_version=SQL_API_VERSION)
        raise AssertionError("the deleted database is still there")
    except ResourceNotFoundError as error:
        seen["sqlmi_deleted_database"] = error.error.code

    # ARM error bodies: a missing migration, and a refused cutover, parse as ARM errors with their codes.
    try:
        client.database_migrations_sql_mi.get(rg, "mi1", "nothing")
        raise AssertionError("reading a missing migration succeeded")
    except ResourceNotFoundError as error:
        seen["missing"] = error.error.code
    try:
        client.database_migrations_sql_mi.begin_cutover(
            rg, "mi1", "ordersdb", models.MigrationOperationInput(migration_operation_id=ready.properties.migration_operation_id)
        ).result()
        raise AssertionError("a second cutover succeeded")
    except HttpResponseError as error:
        seen["second_cutover"] = error.error.code

    print(json.dumps(seen))
    return 0


if __name__ == "__main__":
    sys.exit(main())
