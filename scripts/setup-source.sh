#!/usr/bin/env bash
# Sets up the source side: a Cloud SQL for PostgreSQL instance with logical decoding, the publication
# and replication slot Datastream reads through, Datastream's connection profiles (PostgreSQL source,
# Cloud Storage destination) and a stream writing JSON (gzip) or Avro files under the landing prefix,
# then starts it. `--dry-run` prints every command (the SQL run through psql included) without running
# any; `--sql-only` runs the PostgreSQL part alone against the server given by --host (no gcloud), e.g.
# on a server that is not Cloud SQL, or again after a change of tables.json. Passwords never appear on a command line: Datastream's comes from Secret Manager or a prompt,
# psql's from its usual sources (PGPASSWORD, ~/.pgpass, a prompt). See README.md, "Deploy".
#
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_NAME=setup-source.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/lib.sh
source "${SCRIPT_DIR}/deploy/lib.sh"

usage() {
  cat <<'EOF'
Usage: scripts/setup-source.sh --project ID --region REGION --instance NAME --database DB --bucket BUCKET [options]
       scripts/setup-source.sh --sql-only --host HOST --database DB [options]

Prepares Cloud SQL for PostgreSQL and creates and starts the Datastream stream into the landing bucket.
Every command is printed before it runs; --dry-run prints them and runs none.

Required (flag or environment variable):
  --project ID             Google Cloud project                          GOOGLE_CLOUD_PROJECT
  --region REGION          Datastream location                           DSI_REGION
  --instance NAME          Cloud SQL instance                            DSI_SQL_INSTANCE
  --database DB            PostgreSQL database to replicate              DSI_SQL_DATABASE
  --bucket BUCKET          landing bucket (the deploy's --bucket)        DSI_BUCKET

Options:
  --landing-prefix PREFIX  stream path in the bucket, the functions' DSI_LANDING_PREFIX (default: cdc/)
                                                                         DSI_LANDING_PREFIX
  --tables FILE            tables.json: replicate exactly these tables (default: every table of --schema)
                                                                         DSI_TABLES_FILE
  --schema NAME            schema replicated when there is no --tables (default: public)
  --host HOST              address Datastream connects to (default: the instance's first IP address)
  --port PORT              (default: 5432)
  --user NAME              replication user Datastream logs in as; it must exist (default: datastream)
  --admin-user NAME        user psql runs the grants, publication and slot as (default: postgres)
  --password-secret NAME   Secret Manager secret version holding --user's password, e.g.
                           projects/P/secrets/S/versions/latest (default: gcloud prompts for it)
  --private-connection ID  Datastream private connection (default: static IP connectivity; allow the
                           addresses `gcloud datastream locations fetch-static-ips` lists on the instance)
  --publication NAME       (default: dsi_publication)
  --slot NAME              logical replication slot (default: dsi_slot)
  --stream NAME            (default: dsi-stream)
  --format FORMAT          json (default) or avro
  --compression MODE       gzip (default) or none; JSON only
  --rotation-mb N          file rotation size (default: 50)
  --rotation-interval S    file rotation interval, 15..60 seconds (default: 60)
  --backfill MODE          all (default: existing rows first) or none
  --config-dir DIR         where the stream's JSON configs are written (default: datastream-config)
  --no-start               create the stream but leave it stopped
  --sql-only               only the grants, publication and slot, through psql on --host (which is then
                           required, --project, --region, --instance and --bucket are not); no gcloud
  --sslmode MODE           psql's sslmode (default: require)
  --dry-run                print the commands, run none
  -h, --help               this text
EOF
}

PROJECT=${GOOGLE_CLOUD_PROJECT:-}
REGION=${DSI_REGION:-}
INSTANCE=${DSI_SQL_INSTANCE:-}
DATABASE=${DSI_SQL_DATABASE:-}
BUCKET=${DSI_BUCKET:-}
LANDING_PREFIX=${DSI_LANDING_PREFIX-cdc/}
TABLES_FILE=${DSI_TABLES_FILE:-}
SCHEMA=public
HOST=
PORT=5432
USER_NAME=datastream
ADMIN_USER=postgres
PASSWORD_SECRET=
PRIVATE_CONNECTION=
PUBLICATION=dsi_publication
SLOT=dsi_slot
STREAM=dsi-stream
FORMAT=json
COMPRESSION=gzip
ROTATION_MB=50
ROTATION_INTERVAL=60
BACKFILL=all
CONFIG_DIR=datastream-config
START=true
SQL_ONLY=false
SSLMODE=require

take_option() {
  case $1 in
    --project | --project=*) PROJECT=$(option_value "$@") ;;
    --region | --region=*) REGION=$(option_value "$@") ;;
    --instance | --instance=*) INSTANCE=$(option_value "$@") ;;
    --database | --database=*) DATABASE=$(option_value "$@") ;;
    --bucket | --bucket=*) BUCKET=$(option_value "$@") ;;
    --landing-prefix | --landing-prefix=*) LANDING_PREFIX=$(option_value "$@") ;;
    --tables | --tables=*) TABLES_FILE=$(option_value "$@") ;;
    --schema | --schema=*) SCHEMA=$(option_value "$@") ;;
    --host | --host=*) HOST=$(option_value "$@") ;;
    --port | --port=*) PORT=$(option_value "$@") ;;
    --user | --user=*) USER_NAME=$(option_value "$@") ;;
    --admin-user | --admin-user=*) ADMIN_USER=$(option_value "$@") ;;
    --password-secret | --password-secret=*) PASSWORD_SECRET=$(option_value "$@") ;;
    --private-connection | --private-connection=*) PRIVATE_CONNECTION=$(option_value "$@") ;;
    --publication | --publication=*) PUBLICATION=$(option_value "$@") ;;
    --slot | --slot=*) SLOT=$(option_value "$@") ;;
    --stream | --stream=*) STREAM=$(option_value "$@") ;;
    --format | --format=*) FORMAT=$(option_value "$@") ;;
    --compression | --compression=*) COMPRESSION=$(option_value "$@") ;;
    --rotation-mb | --rotation-mb=*) ROTATION_MB=$(option_value "$@") ;;
    --rotation-interval | --rotation-interval=*) ROTATION_INTERVAL=$(option_value "$@") ;;
    --backfill | --backfill=*) BACKFILL=$(option_value "$@") ;;
    --config-dir | --config-dir=*) CONFIG_DIR=$(option_value "$@") ;;
    --sslmode | --sslmode=*) SSLMODE=$(option_value "$@") ;;
    --sql-only)
      SQL_ONLY=true
      return
      ;;
    --no-start)
      START=false
      return
      ;;
    *) unknown_option "$1" ;;
  esac
  TAKEN=$(option_width "$1")
}
parse_arguments "$@"

if [[ $SQL_ONLY == true ]]; then
  [[ -n $HOST ]] || usage_error "--host is required with --sql-only"
else
  require "$PROJECT" --project GOOGLE_CLOUD_PROJECT
  require "$REGION" --region DSI_REGION
  require "$INSTANCE" --instance DSI_SQL_INSTANCE
  require "$BUCKET" --bucket DSI_BUCKET
fi
require "$DATABASE" --database DSI_SQL_DATABASE

if [[ $FORMAT != json && $FORMAT != avro ]]; then
  usage_error "--format must be json or avro, not ${FORMAT}"
fi
if [[ $COMPRESSION != gzip && $COMPRESSION != none ]]; then
  usage_error "--compression must be gzip or none, not ${COMPRESSION}"
fi
if [[ $BACKFILL != all && $BACKFILL != none ]]; then
  usage_error "--backfill must be all or none, not ${BACKFILL}"
fi
if [[ ! $ROTATION_MB =~ ^[0-9]+$ ]] || ((ROTATION_MB < 1)); then
  usage_error "--rotation-mb must be a positive integer, not ${ROTATION_MB}"
fi
# The Datastream API accepts rotation intervals from 15 to 60 seconds.
if [[ ! $ROTATION_INTERVAL =~ ^[0-9]+$ ]] || ((ROTATION_INTERVAL < 15 || ROTATION_INTERVAL > 60)); then
  usage_error "--rotation-interval must be an integer from 15 to 60 seconds, not ${ROTATION_INTERVAL}"
fi
identifier='^[a-z_][a-z0-9_]{0,62}$'
for name in "$PUBLICATION" "$SLOT"; do
  [[ $name =~ $identifier ]] || usage_error "publication and slot names must be lower-case SQL identifiers, not ${name}"
done

case $SSLMODE in
  disable | allow | prefer | require | verify-ca | verify-full) ;;
  *) usage_error "--sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full, not ${SSLMODE}" ;;
esac

if [[ $DRY_RUN == false ]]; then
  [[ $SQL_ONLY == true ]] || require_tool gcloud 'install the Google Cloud CLI'
  require_tool psql 'install the PostgreSQL client'
  export CLOUDSDK_CORE_DISABLE_PROMPTS=1
fi

# ---------------------------------------------------------------------------------------------------
# What to replicate: the tables of --tables, or every table of --schema.

# TABLE_SCHEMAS[i] and TABLE_NAMES[i] are the names of table i, unquoted (a key is never split here: a
# quoted name may hold a dot).
TABLE_SCHEMAS=()
TABLE_NAMES=()
if [[ -n $TABLES_FILE ]]; then
  require_tool node 'it reads the tables file'
  [[ -r $TABLES_FILE ]] || fail "--tables ${TABLES_FILE} cannot be read"
  tables_out=$(node "${SCRIPT_DIR}/deploy/read-tables.mjs" --names "$TABLES_FILE") ||
    fail "--tables ${TABLES_FILE} is not a tables file"
  while IFS=$'\t' read -r table_schema table_name; do
    TABLE_SCHEMAS+=("$table_schema")
    TABLE_NAMES+=("$table_name")
  done < <(tail -n +2 <<<"$tables_out")
  ((${#TABLE_NAMES[@]} > 0)) || fail "--tables ${TABLES_FILE} declares no table"
fi

sql_identifier() { # "name" with embedded quotes doubled
  printf '"%s"' "${1//\"/\"\"}"
}

sql_literal() { # 'text' with embedded quotes doubled
  printf "'%s'" "${1//\'/\'\'}"
}

json_string() {
  local text=${1//\\/\\\\}
  printf '"%s"' "${text//\"/\\\"}"
}

# Datastream's includeObjects: schemas and their tables (a schema with no table list means all of it).
include_objects() {
  if ((${#TABLE_NAMES[@]} == 0)); then
    printf '{"postgresqlSchemas": [{"schema": %s}]}' "$(json_string "$SCHEMA")"
    return
  fi
  local schema i tables entries=''
  while IFS= read -r schema; do
    tables=''
    for i in "${!TABLE_NAMES[@]}"; do
      [[ ${TABLE_SCHEMAS[i]} == "$schema" ]] || continue
      tables+="${tables:+, }{\"table\": $(json_string "${TABLE_NAMES[i]}")}"
    done
    entries+="${entries:+, }{\"schema\": $(json_string "$schema"), \"postgresqlTables\": [${tables}]}"
  done < <(printf '%s\n' "${TABLE_SCHEMAS[@]}" | awk '!seen[$0]++')
  printf '{"postgresqlSchemas": [%s]}' "$entries"
}

publication_target() {
  if ((${#TABLE_NAMES[@]} == 0)); then
    printf 'TABLES IN SCHEMA %s' "$(sql_identifier "$SCHEMA")"
    return
  fi
  local i list=''
  for i in "${!TABLE_NAMES[@]}"; do
    list+="${list:+, }$(sql_identifier "${TABLE_SCHEMAS[i]}").$(sql_identifier "${TABLE_NAMES[i]}")"
  done
  printf 'TABLE %s' "$list"
}

schemas_to_grant() {
  if ((${#TABLE_NAMES[@]} == 0)); then
    printf '%s\n' "$SCHEMA"
  else
    printf '%s\n' "${TABLE_SCHEMAS[@]}" | sort -u
  fi
}

SOURCE_PROFILE=${STREAM}-postgres
DESTINATION_PROFILE=${STREAM}-gcs
# Datastream writes [bucket]/[root path]/[stream path]/[schema]_[table]/yyyy/mm/dd/hh/mm/[file].
STREAM_PATH=/${LANDING_PREFIX%/}
STREAM_PATH=${STREAM_PATH%/}
STREAM_PATH=${STREAM_PATH:-/}

if [[ $DRY_RUN == true ]]; then
  note "dry run: nothing below is executed; every resource is taken as absent"
fi

# The Cloud SQL side: APIs, the logical decoding flag, the instance's address. Skipped with --sql-only.
cloud_sql_steps() {
  note "project ${PROJECT}, Cloud SQL ${INSTANCE}/${DATABASE} → Datastream ${STREAM} (${REGION}) → gs://${BUCKET}${STREAM_PATH} as ${FORMAT}"

  # ---------------------------------------------------------------------------------------------------
  step 'APIs'
  run gcloud services enable datastream.googleapis.com sqladmin.googleapis.com --project="$PROJECT"

  # ---------------------------------------------------------------------------------------------------
  step 'Cloud SQL: logical decoding'
  # --database-flags replaces the instance's whole flag list, so the current flags are read and kept
  # (merge-database-flags.mjs); only cloudsql.logical_decoding is set. Changing it restarts the instance.
  if [[ $DRY_RUN == true ]]; then
    flags=cloudsql.logical_decoding=on
  else
    require_tool node 'it merges the database flags'
    flags=$(gcloud sql instances describe "$INSTANCE" --project="$PROJECT" --format=json |
      node "${SCRIPT_DIR}/deploy/merge-database-flags.mjs" cloudsql.logical_decoding=on)
  fi
  if [[ -z $flags ]]; then
    note "cloudsql.logical_decoding is already on"
  else
    run gcloud sql instances patch "$INSTANCE" --database-flags="$flags" --project="$PROJECT"
  fi

  if [[ -z $HOST ]]; then
    HOST=$(lookup INSTANCE_IP gcloud sql instances describe "$INSTANCE" --project="$PROJECT" \
      --format='value(ipAddresses[0].ipAddress)')
  fi
}
if [[ $SQL_ONLY == true ]]; then
  note "PostgreSQL only: ${HOST}:${PORT}/${DATABASE}"
else
  cloud_sql_steps
fi

# ---------------------------------------------------------------------------------------------------
step 'PostgreSQL: replication user, publication, slot (psql)'
# The replication user must exist (create it with `gcloud sql users create`, its password kept out of
# any script). It needs REPLICATION and read access to the replicated schemas; pgoutput then streams the
# publication's tables through the slot. Each statement is safe to run again.
PSQL=(psql "host=${HOST} port=${PORT} dbname=${DATABASE} user=${ADMIN_USER} sslmode=${SSLMODE}"
  -v ON_ERROR_STOP=1)
user_sql=$(sql_identifier "$USER_NAME")
run "${PSQL[@]}" -c "ALTER USER ${user_sql} WITH REPLICATION;"
while IFS= read -r schema; do
  schema_sql=$(sql_identifier "$schema")
  run "${PSQL[@]}" -c "GRANT USAGE ON SCHEMA ${schema_sql} TO ${user_sql}; GRANT SELECT ON ALL TABLES IN SCHEMA ${schema_sql} TO ${user_sql}; ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema_sql} GRANT SELECT ON TABLES TO ${user_sql};"
done < <(schemas_to_grant)
# PostgreSQL has no CREATE PUBLICATION IF NOT EXISTS; the DO block makes it conditional. (TABLES IN
# SCHEMA needs PostgreSQL 15 or later; list the tables with --tables on older versions.)
run "${PSQL[@]}" -c "DO \$do\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $(sql_literal "$PUBLICATION")) THEN CREATE PUBLICATION $(sql_identifier "$PUBLICATION") FOR $(publication_target); END IF; END \$do\$;"
run "${PSQL[@]}" -c "SELECT pg_create_logical_replication_slot($(sql_literal "$SLOT"), 'pgoutput') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $(sql_literal "$SLOT"));"

if [[ $SQL_ONLY == true ]]; then
  step 'Done'
  note "publication ${PUBLICATION} and slot ${SLOT} are ready on ${HOST}:${PORT}/${DATABASE}"
  exit 0
fi

PROJECT_NUMBER=$(lookup PROJECT_NUMBER gcloud projects describe "$PROJECT" --format='value(projectNumber)')
DATASTREAM_AGENT=service-${PROJECT_NUMBER}@gcp-sa-datastream.iam.gserviceaccount.com

# ---------------------------------------------------------------------------------------------------
step 'Datastream connection profiles'
if [[ -z $PRIVATE_CONNECTION ]]; then
  # Static IP connectivity: the instance must accept these addresses (its authorized networks).
  run gcloud datastream locations fetch-static-ips "$REGION" --project="$PROJECT"
fi
if probe gcloud datastream connection-profiles describe "$SOURCE_PROFILE" --location="$REGION" --project="$PROJECT"; then
  note "connection profile ${SOURCE_PROFILE} exists"
else
  SOURCE_ARGS=(gcloud datastream connection-profiles create "$SOURCE_PROFILE" --location="$REGION"
    --type=postgresql --display-name="datastream-iceberg source ${INSTANCE}/${DATABASE}"
    --postgresql-hostname="$HOST" --postgresql-port="$PORT" --postgresql-username="$USER_NAME"
    --postgresql-database="$DATABASE")
  if [[ -n $PASSWORD_SECRET ]]; then
    SOURCE_ARGS+=(--postgresql-secret-manager-stored-password="$PASSWORD_SECRET")
  else
    SOURCE_ARGS+=(--postgresql-prompt-for-password)
  fi
  if [[ -n $PRIVATE_CONNECTION ]]; then
    SOURCE_ARGS+=(--private-connection="$PRIVATE_CONNECTION")
  else
    SOURCE_ARGS+=(--static-ip-connectivity)
  fi
  run "${SOURCE_ARGS[@]}" --project="$PROJECT"
fi
if probe gcloud datastream connection-profiles describe "$DESTINATION_PROFILE" --location="$REGION" --project="$PROJECT"; then
  note "connection profile ${DESTINATION_PROFILE} exists"
else
  run gcloud datastream connection-profiles create "$DESTINATION_PROFILE" --location="$REGION" \
    --type=google-cloud-storage --display-name="datastream-iceberg landing gs://${BUCKET}" \
    --bucket="$BUCKET" --root-path=/ --project="$PROJECT"
fi
# Datastream's service agent writes the files: object create and view, and bucket metadata reads.
for role in roles/storage.objectCreator roles/storage.objectViewer roles/storage.legacyBucketReader; do
  run gcloud storage buckets add-iam-policy-binding "gs://${BUCKET}" \
    --member="serviceAccount:${DATASTREAM_AGENT}" --role="$role" --project="$PROJECT"
done

# ---------------------------------------------------------------------------------------------------
step 'Datastream stream'
if [[ $FORMAT == json ]]; then
  compression=GZIP
  [[ $COMPRESSION == gzip ]] || compression=NO_COMPRESSION
  file_format="\"jsonFileFormat\": {\"schemaFileFormat\": \"NO_SCHEMA_FILE\", \"compression\": \"${compression}\"}"
else
  file_format='"avroFileFormat": {}'
fi
SOURCE_CONFIG=${CONFIG_DIR}/${STREAM}-source.json
DESTINATION_CONFIG=${CONFIG_DIR}/${STREAM}-destination.json
run mkdir -p "$CONFIG_DIR"
write_file "$SOURCE_CONFIG" "{
  \"includeObjects\": $(include_objects),
  \"replicationSlot\": $(json_string "$SLOT"),
  \"publication\": $(json_string "$PUBLICATION")
}"
write_file "$DESTINATION_CONFIG" "{
  \"path\": $(json_string "$STREAM_PATH"),
  \"fileRotationMb\": ${ROTATION_MB},
  \"fileRotationInterval\": \"${ROTATION_INTERVAL}s\",
  ${file_format}
}"
if probe gcloud datastream streams describe "$STREAM" --location="$REGION" --project="$PROJECT"; then
  note "stream ${STREAM} exists"
else
  run gcloud datastream streams create "$STREAM" --location="$REGION" \
    --display-name="datastream-iceberg ${INSTANCE}/${DATABASE}" \
    --source="$SOURCE_PROFILE" --postgresql-source-config="$SOURCE_CONFIG" \
    --destination="$DESTINATION_PROFILE" --gcs-destination-config="$DESTINATION_CONFIG" \
    "--backfill-${BACKFILL}" --project="$PROJECT"
fi
if [[ $START == true ]]; then
  run gcloud datastream streams update "$STREAM" --location="$REGION" --state=RUNNING \
    --update-mask=state --project="$PROJECT"
else
  note "--no-start: start it with: gcloud datastream streams update ${STREAM} --location=${REGION} --state=RUNNING --update-mask=state --project=${PROJECT}"
fi

step 'Done'
note "files land under gs://${BUCKET}${STREAM_PATH}/<schema>_<table>/; deploy the functions with --bucket ${BUCKET} --landing-prefix ${LANDING_PREFIX}"
