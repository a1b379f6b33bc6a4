#!/usr/bin/env bash
# Prints LocalStack's recent logs, for a failed integration run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
docker compose logs --tail 300 localstack
