"""Uploads records to the loopback Logs Ingestion emulator with Microsoft's own Python client (azure.monitor.ingestion, Debian's python3-azure).

Run by LogsIngestionPythonContractTests with /usr/bin/python3. Environment:
  LOGS_ENDPOINT   the emulator's base address (https://127.0.0.1:PORT/)
  LOGS_CA_BUNDLE  a PEM file with the emulator's self-signed certificate
  LOGS_RULE_ID    the data collection rule's immutable id
  LOGS_STREAM     the stream name
Prints one JSON object with what it sent; exits non-zero (with a traceback) on any failure.
"""

import json
import os
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.monitor.ingestion import LogsIngestionClient


class StaticTokenCredential:
    """A TokenCredential that hands out a fixed dummy token (the emulator only checks that one is there)."""

    def __init__(self):
        self.scopes = []

    def get_token(self, *scopes, **kwargs):
        self.scopes.extend(scopes)
        return AccessToken("python-contract-token", int(time.time()) + 3600)


def main():
    credential = StaticTokenCredential()
    verify = os.environ["LOGS_CA_BUNDLE"]
    endpoint = os.environ["LOGS_ENDPOINT"].rstrip("/")
    rule = os.environ["LOGS_RULE_ID"]
    stream = os.environ["LOGS_STREAM"]
    client = LogsIngestionClient(endpoint, credential, connection_verify=verify)
    pinned = LogsIngestionClient(endpoint, credential, api_version="2023-01-01", connection_verify=verify)

    small = [
        {"TimeGenerated": "2026-12-01T02:00:00Z", "Wave": "wave-py", "Database": "db1", "Kind": "step",
         "Step": "copy", "Status": "Succeeded", "DurationMs": 1200, "Rows": 10, "Bytes": 1000},
        {"TimeGenerated": "2026-12-01T02:00:01Z", "Wave": "wave-py", "Kind": "alert", "LagSeconds": 42.5, "Error": "lag over threshold"},
    ]
    client.upload(rule_id=rule, stream_name=stream, logs=small)

    # Over 1 MB in all: the client splits it into several gzip calls.
    big = [{"TimeGenerated": "2026-12-01T03:00:00Z", "Wave": "wave-big", "Database": "db%d" % i, "Kind": "progress",
            "Rows": i, "Error": "x" * 1000} for i in range(1500)]
    pinned.upload(rule_id=rule, stream_name=stream, logs=big)

    unknown_stream = None
    try:
        pinned.upload(rule_id=rule, stream_name="Custom-Unknown_CL", logs=small[:1])
    except HttpResponseError as error:
        unknown_stream = [error.status_code, error.error.code if error.error else None]

    print(json.dumps({"small": len(small), "big": len(big), "scopes": sorted(set(credential.scopes)), "unknown_stream": unknown_stream}))


if __name__ == "__main__":
    main()
