#!/usr/bin/env bash
# Prints the local cloud's recent logs, for a failed integration run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
docker compose --profile floci logs --tail 300
