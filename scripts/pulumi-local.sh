#!/usr/bin/env bash
# Deploys the `local` stack to LocalStack (docker-compose.yml) with a file state backend.
#   bash scripts/pulumi-local.sh preview|up|down|smoke
# Needs Docker (with compose v2) and the Pulumi CLI; nothing here talks to real AWS.
set -euo pipefail

readonly STACK="local"
readonly ENDPOINT="http://localhost:4566"
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly ROOT_DIR
readonly STATE_DIR="${ROOT_DIR}/.pulumi-local"
readonly OUTPUTS_FILE="${STATE_DIR}/outputs.json"

usage() {
    echo "usage: $0 preview|up|down|smoke" >&2
    echo "  LOCALSTACK_AUTH_TOKEN is passed to LocalStack when set" >&2
    exit 2
}

require_tools() {
    local missing=0
    if ! command -v docker >/dev/null 2>&1 || ! docker compose version >/dev/null 2>&1; then
        echo "error: Docker with the compose plugin is required to run the local cloud." >&2
        echo "  Install Docker Desktop or Docker Engine + compose plugin: https://docs.docker.com/get-docker/" >&2
        missing=1
    fi
    if ! command -v pulumi >/dev/null 2>&1; then
        echo "error: the Pulumi CLI is required." >&2
        echo "  Install it: curl -fsSL https://get.pulumi.com | sh   (or: brew install pulumi/tap/pulumi)" >&2
        echo "  No Docker or Pulumi? 'npm start' runs the same program in the Docker-free sandbox." >&2
        missing=1
    fi
    if [[ "${missing}" -ne 0 ]]; then
        exit 1
    fi
}

start_cloud() {
    echo "Starting LocalStack on ${ENDPOINT} ..."
    docker compose --project-directory "${ROOT_DIR}" up -d --wait localstack
    wait_for_endpoint
}

# The compose healthcheck runs inside the container; this proves the published port answers on the host too.
wait_for_endpoint() {
    local attempt
    for attempt in $(seq 1 60); do
        if curl -s -o /dev/null "${ENDPOINT}/_localstack/health"; then
            return 0
        fi
        echo "waiting for ${ENDPOINT} (${attempt}/60)"
        sleep 2
    done
    echo "error: nothing answers on ${ENDPOINT}" >&2
    exit 1
}

stop_cloud() {
    docker compose --project-directory "${ROOT_DIR}" down --volumes
}

select_stack() {
    mkdir -p "${STATE_DIR}"
    # Local secrets are throwaway; a real stack sets its own passphrase or a KMS secrets provider.
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-local-only-passphrase}"
    export PULUMI_SKIP_UPDATE_CHECK=true
    # Same as `pulumi login file://.pulumi-local`, without changing the user's global login.
    export PULUMI_BACKEND_URL="file://${STATE_DIR}"
    pulumi stack select --create "${STACK}" --cwd "${ROOT_DIR}"
}

# The smoke CLI reads the standard AWS environment; for the local stack that is LocalStack's and nothing else. Every
# AWS_* variable of the caller goes (the SDK prefers AWS_PROFILE to keys, AWS_ENDPOINT_URL_<SERVICE> to AWS_ENDPOINT_URL)
# and the shared config and credentials files are hidden, so the user's own credentials cannot be picked up.
smoke_local_stack() {
    local region name
    region="$(pulumi config get aws:region --stack "${STACK}")"
    (
        for name in $(compgen -e); do
            if [[ "${name}" == AWS_* ]]; then
                unset "${name}"
            fi
        done
        export AWS_ENDPOINT_URL="${ENDPOINT}" AWS_REGION="${region}" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
            AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
        npm run --silent smoke -- --outputs "${OUTPUTS_FILE}"
    )
}

main() {
    [[ $# -eq 1 ]] || usage
    local command="$1"
    case "${command}" in
        preview|up|down|smoke) ;;
        *) usage ;;
    esac
    require_tools
    cd "${ROOT_DIR}"
    case "${command}" in
        preview)
            start_cloud
            select_stack
            pulumi preview --stack "${STACK}" --diff
            ;;
        up)
            start_cloud
            select_stack
            pulumi up --stack "${STACK}" --yes --skip-preview
            pulumi stack output --stack "${STACK}" --json > "${OUTPUTS_FILE}"
            echo "Stack outputs written to ${OUTPUTS_FILE}"
            ;;
        smoke)
            select_stack
            pulumi stack output --stack "${STACK}" --json > "${OUTPUTS_FILE}"
            smoke_local_stack
            ;;
        down)
            select_stack
            pulumi destroy --stack "${STACK}" --yes --skip-preview
            stop_cloud
            ;;
    esac
}

main "$@"
