#!/usr/bin/env bash
# Deploys datastream-iceberg to a Google Cloud project with gcloud: the APIs, one service account per
# job with only the roles that job needs, Firestore (database, the composite index of the pending
# change-set query, TTL policies), one Cloud Tasks queue per configured table, the BigLake Iceberg REST
# catalog of the lake bucket, the commit function (HTTP, private) and the ingest function (Eventarc
# trigger on the landing bucket, or a Cloud Storage notification pushed through Pub/Sub), and what an
# operator watches: log-based metrics from the functions' JSON logs, a dashboard and alert policies.
# `--dry-run` prints every command without running any. Creates are guarded by a look-up or accept
# "already exists", so running it again converges instead of failing. See README.md, "Deploy".
#
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

SCRIPT_NAME=deploy.sh
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/lib.sh
source "${SCRIPT_DIR}/deploy/lib.sh"

usage() {
  cat <<'EOF'
Usage: scripts/deploy.sh --project ID --region REGION --bucket BUCKET [options]

Deploys the ingest and commit functions and everything they need. Every command is printed before it
runs; --dry-run prints them and runs none.

Required (flag or environment variable):
  --project ID              Google Cloud project                         GOOGLE_CLOUD_PROJECT
  --region REGION           functions, queues and the Eventarc trigger   DSI_REGION
  --bucket BUCKET           landing bucket Datastream writes to          DSI_BUCKET

Options:
  --landing-prefix PREFIX   Datastream's path prefix in the bucket (default: cdc/, as setup-source.sh;
                            --landing-prefix= for every object)          DSI_LANDING_PREFIX
  --lake-bucket BUCKET      bucket of the Iceberg tables and the BigLake catalog (its id is the bucket
                            name; default: the landing bucket)           DSI_LAKE_BUCKET
  --work-prefix PREFIX      staged change-sets go to gs://LAKE/PREFIX (default: dsi-work)
  --tables FILE             tables.json: one queue per table and DSI_TABLES for the functions
                                                                         DSI_TABLES_FILE
  --trigger MODE            eventarc (default): google.cloud.storage.object.v1.finalized on the bucket;
                            pubsub: a Cloud Storage notification (filtered by the landing prefix) pushed
                            by a Pub/Sub subscription to the ingestPubsub entry point
  --bucket-location LOC     location of the landing bucket, for the Eventarc trigger (default: looked
                            up; the region in a dry run)
  --name-prefix NAME        prefix of functions, service accounts, queues, topic (default: dsi)
  --firestore-database ID   Firestore database (default: (default))
  --firestore-location LOC  location to create the database in when missing (default: the region)
  --firestore-prefix P      collection prefix (default: dsi_)
  --dispatch-deadline S     Cloud Tasks dispatch deadline in seconds, 15..1800 (default: 1800)
  --commit-timeout S        commit function timeout, below the dispatch deadline (default: 1500)
  --ingest-timeout S        ingest function timeout, at most 540 (default: 540)
  --no-create-queues        ingest never creates queues (DSI_CREATE_QUEUES=false): every table must be
                            in --tables, and the ingest account gets no queue-admin role
  --credential-mode MODE    catalog credential mode: end-user (default) or vended-credentials
  --project-number N        skips the look-up (and replaces the placeholder in a dry run)
  --source DIR              function source (default: the repository root)
  --log-level LEVEL         DEBUG, INFO (default), WARNING or ERROR
  --notification-channel C  Cloud Monitoring notification channel(s) the alert policies notify: ids or
                            projects/P/notificationChannels/ID, comma-separated (default: none, the
                            policies only open incidents)                DSI_NOTIFICATION_CHANNELS
  --lag-alert-minutes N     alert when a table's lag exceeds N minutes (default: 30)
  --monitoring-dir DIR      where the rendered metric, dashboard and policy files are written
                            (default: monitoring-config)
  --dry-run                 print the commands, run none
  -h, --help                this text
EOF
}

# ---------------------------------------------------------------------------------------------------
# Options

PROJECT=${GOOGLE_CLOUD_PROJECT:-}
REGION=${DSI_REGION:-}
BUCKET=${DSI_BUCKET:-}
LANDING_PREFIX=${DSI_LANDING_PREFIX-cdc/}
LAKE_BUCKET=${DSI_LAKE_BUCKET:-}
WORK_PREFIX=dsi-work
TABLES_FILE=${DSI_TABLES_FILE:-}
TRIGGER=eventarc
BUCKET_LOCATION=
NAME_PREFIX=dsi
FIRESTORE_DATABASE='(default)'
FIRESTORE_LOCATION=
FIRESTORE_PREFIX=dsi_
DISPATCH_DEADLINE=1800
COMMIT_TIMEOUT=1500
INGEST_TIMEOUT=540
CREATE_QUEUES=true
CREDENTIAL_MODE=end-user
PROJECT_NUMBER=
SOURCE_DIR=$(cd "${SCRIPT_DIR}/.." && pwd)
LOG_LEVEL=INFO
NOTIFICATION_CHANNELS=${DSI_NOTIFICATION_CHANNELS:-}
LAG_ALERT_MINUTES=30
MONITORING_DIR=monitoring-config

take_option() {
  case $1 in
    --project | --project=*) PROJECT=$(option_value "$@") ;;
    --region | --region=*) REGION=$(option_value "$@") ;;
    --bucket | --bucket=*) BUCKET=$(option_value "$@") ;;
    --landing-prefix | --landing-prefix=*) LANDING_PREFIX=$(option_value "$@") ;;
    --lake-bucket | --lake-bucket=*) LAKE_BUCKET=$(option_value "$@") ;;
    --work-prefix | --work-prefix=*) WORK_PREFIX=$(option_value "$@") ;;
    --tables | --tables=*) TABLES_FILE=$(option_value "$@") ;;
    --trigger | --trigger=*) TRIGGER=$(option_value "$@") ;;
    --bucket-location | --bucket-location=*) BUCKET_LOCATION=$(option_value "$@") ;;
    --name-prefix | --name-prefix=*) NAME_PREFIX=$(option_value "$@") ;;
    --firestore-database | --firestore-database=*) FIRESTORE_DATABASE=$(option_value "$@") ;;
    --firestore-location | --firestore-location=*) FIRESTORE_LOCATION=$(option_value "$@") ;;
    --firestore-prefix | --firestore-prefix=*) FIRESTORE_PREFIX=$(option_value "$@") ;;
    --dispatch-deadline | --dispatch-deadline=*) DISPATCH_DEADLINE=$(option_value "$@") ;;
    --commit-timeout | --commit-timeout=*) COMMIT_TIMEOUT=$(option_value "$@") ;;
    --ingest-timeout | --ingest-timeout=*) INGEST_TIMEOUT=$(option_value "$@") ;;
    --credential-mode | --credential-mode=*) CREDENTIAL_MODE=$(option_value "$@") ;;
    --project-number | --project-number=*) PROJECT_NUMBER=$(option_value "$@") ;;
    --source | --source=*) SOURCE_DIR=$(option_value "$@") ;;
    --log-level | --log-level=*) LOG_LEVEL=$(option_value "$@") ;;
    --notification-channel | --notification-channel=*) NOTIFICATION_CHANNELS=$(option_value "$@") ;;
    --lag-alert-minutes | --lag-alert-minutes=*) LAG_ALERT_MINUTES=$(option_value "$@") ;;
    --monitoring-dir | --monitoring-dir=*) MONITORING_DIR=$(option_value "$@") ;;
    --no-create-queues)
      CREATE_QUEUES=false
      return
      ;;
    *) unknown_option "$1" ;;
  esac
  TAKEN=$(option_width "$1")
}
parse_arguments "$@"

require "$PROJECT" --project GOOGLE_CLOUD_PROJECT
require "$REGION" --region DSI_REGION
require "$BUCKET" --bucket DSI_BUCKET
LAKE_BUCKET=${LAKE_BUCKET:-$BUCKET}
FIRESTORE_LOCATION=${FIRESTORE_LOCATION:-$REGION}

is_integer() { [[ $1 =~ ^[0-9]+$ ]]; }
if ! is_integer "$DISPATCH_DEADLINE" || ((DISPATCH_DEADLINE < 15 || DISPATCH_DEADLINE > 1800)); then
  usage_error "--dispatch-deadline must be an integer from 15 to 1800 seconds (Cloud Tasks' range), not ${DISPATCH_DEADLINE}"
fi
# Cloud Tasks stops waiting at the deadline and retries the task while the first run may go on; a
# commit timeout below the deadline makes the platform end that run first (the lease guards the rest).
if ! is_integer "$COMMIT_TIMEOUT" || ((COMMIT_TIMEOUT < 1 || COMMIT_TIMEOUT >= DISPATCH_DEADLINE)); then
  usage_error "--commit-timeout must be an integer below the dispatch deadline (${DISPATCH_DEADLINE} s), not ${COMMIT_TIMEOUT}"
fi
# 540 s is the limit of event-driven functions, and below the 600 s Pub/Sub push acknowledgement deadline.
if ! is_integer "$INGEST_TIMEOUT" || ((INGEST_TIMEOUT < 1 || INGEST_TIMEOUT > 540)); then
  usage_error "--ingest-timeout must be an integer from 1 to 540 seconds, not ${INGEST_TIMEOUT}"
fi
if [[ $TRIGGER != eventarc && $TRIGGER != pubsub ]]; then
  usage_error "--trigger must be eventarc or pubsub, not ${TRIGGER}"
fi
if [[ $CREDENTIAL_MODE != end-user && $CREDENTIAL_MODE != vended-credentials ]]; then
  usage_error "--credential-mode must be end-user or vended-credentials, not ${CREDENTIAL_MODE}"
fi
if [[ ! $LOG_LEVEL =~ ^(DEBUG|INFO|WARNING|ERROR)$ ]]; then
  usage_error "--log-level must be DEBUG, INFO, WARNING or ERROR, not ${LOG_LEVEL}"
fi
if ! is_integer "$LAG_ALERT_MINUTES" || ((LAG_ALERT_MINUTES < 1)); then
  usage_error "--lag-alert-minutes must be a whole number of minutes, at least 1, not ${LAG_ALERT_MINUTES}"
fi
if [[ ! $NOTIFICATION_CHANNELS =~ ^([A-Za-z0-9_/-]+(,[A-Za-z0-9_/-]+)*)?$ ]]; then
  usage_error "--notification-channel must be channel ids or projects/P/notificationChannels/ID, comma-separated, not ${NOTIFICATION_CHANNELS}"
fi
if [[ ! $NAME_PREFIX =~ ^[a-z][a-z0-9-]{1,20}$ ]]; then
  usage_error "--name-prefix must be 2 to 21 lower-case letters, digits or dashes starting with a letter (it names service accounts), not ${NAME_PREFIX}"
fi
# With one bucket for both, the lake's own objects (Iceberg manifests are .avro files, change-sets sit
# under the work prefix) must stay outside the landing prefix, or ingest would read them as Datastream's.
if [[ $LAKE_BUCKET == "$BUCKET" ]]; then
  if [[ -z $LANDING_PREFIX ]]; then
    usage_error "the landing bucket is also the lake bucket: give Datastream's --landing-prefix, or a separate --lake-bucket"
  fi
  if [[ $WORK_PREFIX/ == "$LANDING_PREFIX"* || $LANDING_PREFIX == "$WORK_PREFIX"/* ]]; then
    usage_error "--work-prefix ${WORK_PREFIX} and --landing-prefix ${LANDING_PREFIX} overlap in the same bucket"
  fi
fi
if [[ -z $TABLES_FILE && $CREATE_QUEUES == false ]]; then
  usage_error "--no-create-queues needs --tables: without ingest creating queues, every table's queue must be made here"
fi

require_tool node 'it reads the tables file'
if [[ $DRY_RUN == false ]]; then
  require_tool gcloud 'install the Google Cloud CLI'
  # gcloud must never stop to ask (for example whether to grant a role to a trigger's account).
  export CLOUDSDK_CORE_DISABLE_PROMPTS=1
fi

# ---------------------------------------------------------------------------------------------------
# Tables: the file's table keys (one queue each) and its content, compacted, as DSI_TABLES.

TABLES_JSON=
TABLE_KEYS=()
if [[ -n $TABLES_FILE ]]; then
  [[ -r $TABLES_FILE ]] || fail "--tables ${TABLES_FILE} cannot be read"
  tables_out=$(node "${SCRIPT_DIR}/deploy/read-tables.mjs" "$TABLES_FILE") ||
    fail "--tables ${TABLES_FILE} is not a tables file"
  TABLES_JSON=$(head -n 1 <<<"$tables_out")
  mapfile -t TABLE_KEYS < <(tail -n +2 <<<"$tables_out")
fi

sha256_hex() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum | cut -c1-64
  else
    shasum -a 256 | cut -c1-64
  fi
}

# The queue of a table, named exactly as the functions name it (queueIdForTable in
# shared/adapters/gcp/cloud-tasks-queue.ts): prefix, the readable table name, and 8 hex digits of the
# SHA-256 of the exact key so `a_b` and `a-b` never share a queue; at most 100 characters.
queue_id_for_table() {
  local table=$1 readable digest base
  readable=$(printf '%s' "$table" | LC_ALL=C tr '[:upper:]' '[:lower:]' | LC_ALL=C sed -E 's/[^a-z0-9]+/-/g; s/^-+//; s/-+$//')
  digest=$(printf '%s' "$table" | sha256_hex)
  base="${NAME_PREFIX}-${readable}"
  printf '%s-%s' "${base:0:91}" "${digest:0:8}"
}

# ---------------------------------------------------------------------------------------------------
# Names

INGEST_FUNCTION=${NAME_PREFIX}-ingest
COMMIT_FUNCTION=${NAME_PREFIX}-commit
SA_DOMAIN=${PROJECT}.iam.gserviceaccount.com
INGEST_SA=${NAME_PREFIX}-ingest@${SA_DOMAIN}
COMMIT_SA=${NAME_PREFIX}-commit@${SA_DOMAIN}
TASKS_SA=${NAME_PREFIX}-tasks@${SA_DOMAIN}
EVENTS_SA=${NAME_PREFIX}-events@${SA_DOMAIN}
TOPIC=${NAME_PREFIX}-landing
SUBSCRIPTION=${NAME_PREFIX}-landing-push
CHANGESETS_COLLECTION=${FIRESTORE_PREFIX}changesets
FILES_COLLECTION=${FIRESTORE_PREFIX}files
# The Timestamp field the TTL policies expire documents by. Firestore deletes a document some time
# (typically within 24 h) after the time in this field; documents without it never expire, so only
# records that reached a final state (a staged or failed file, a committed change-set) may carry it.
TTL_FIELD=expireAt
CATALOG_URI=https://biglake.googleapis.com/iceberg/v1/restcatalog
VENDED_CREDENTIALS=false
[[ $CREDENTIAL_MODE != vended-credentials ]] || VENDED_CREDENTIALS=true

if [[ -z $PROJECT_NUMBER ]]; then
  PROJECT_NUMBER=$(lookup PROJECT_NUMBER gcloud projects describe "$PROJECT" --format='value(projectNumber)')
fi
GCS_SERVICE_AGENT=service-${PROJECT_NUMBER}@gs-project-accounts.iam.gserviceaccount.com
PUBSUB_SERVICE_AGENT=service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com
# A Cloud Run service (which a 2nd gen function is) also answers on its deterministic URL
# https://SERVICE-PROJECT_NUMBER.REGION.run.app; the commit function's own configuration needs a URL
# before it exists, and a dry run has no other. After the deploy the URL gcloud reports is used.
COMMIT_URL=https://${COMMIT_FUNCTION}-${PROJECT_NUMBER}.${REGION}.run.app

bucket_notifies_topic() {
  gcloud storage buckets notifications list "gs://${BUCKET}" --project="$PROJECT" --format='value(topic)' |
    grep -q "/topics/${TOPIC}\$"
}

project_role() { # member role — project-wide binding, no condition
  run gcloud projects add-iam-policy-binding "$PROJECT" --member="$1" --role="$2" --condition=None --quiet
}

bucket_role() { # bucket member role
  run gcloud storage buckets add-iam-policy-binding "gs://$1" --member="$2" --role="$3" --project="$PROJECT"
}

service_account() { # id display-name
  local email=$1@${SA_DOMAIN}
  if probe gcloud iam service-accounts describe "$email" --project="$PROJECT"; then
    note "service account ${email} exists"
  else
    run gcloud iam service-accounts create "$1" --display-name="$2" --project="$PROJECT"
  fi
}

# Environment of both functions (shared/config.ts reads it). gcloud splits --set-env-vars at commas,
# which DSI_TABLES is full of, so the list uses gcloud's own delimiter syntax `^|^` (see
# `gcloud topic escaping`); a value holding `|` is refused rather than split.
function_env() {
  local pairs=(
    "GOOGLE_CLOUD_PROJECT=${PROJECT}"
    "DSI_LANDING_BUCKET=${BUCKET}"
    "DSI_LANDING_PREFIX=${LANDING_PREFIX}"
    "DSI_WORK_ROOT=gs://${LAKE_BUCKET}/${WORK_PREFIX}"
    "DSI_CATALOG_URI=${CATALOG_URI}"
    "DSI_CATALOG_WAREHOUSE=gs://${LAKE_BUCKET}"
    "DSI_CATALOG_AUTH=google"
    "DSI_CATALOG_VENDED_CREDENTIALS=${VENDED_CREDENTIALS}"
    "DSI_FIRESTORE_PREFIX=${FIRESTORE_PREFIX}"
    "DSI_FIRESTORE_DATABASE=${FIRESTORE_DATABASE}"
    "DSI_TASKS_LOCATION=${REGION}"
    "DSI_COMMIT_URL=$1"
    "DSI_TASKS_SERVICE_ACCOUNT=${TASKS_SA}"
    "DSI_QUEUE_PREFIX=${NAME_PREFIX}"
    "DSI_CREATE_QUEUES=${CREATE_QUEUES}"
    "DSI_DISPATCH_DEADLINE_SECONDS=${DISPATCH_DEADLINE}"
    "DSI_LOG_LEVEL=${LOG_LEVEL}"
  )
  [[ -z $TABLES_JSON ]] || pairs+=("DSI_TABLES=${TABLES_JSON}")
  local joined='' pair
  for pair in "${pairs[@]}"; do
    [[ $pair != *'|'* ]] || fail "the value of ${pair%%=*} contains '|', which the environment list cannot carry"
    joined+="${joined:+|}${pair}"
  done
  printf '^|^%s' "$joined"
}

if [[ $DRY_RUN == true ]]; then
  note "dry run: nothing below is executed; every resource is taken as absent"
fi
note "project ${PROJECT} (number ${PROJECT_NUMBER}), region ${REGION}, landing gs://${BUCKET}/${LANDING_PREFIX}, lake gs://${LAKE_BUCKET}, trigger ${TRIGGER}"

# ---------------------------------------------------------------------------------------------------
step 'APIs'
# Functions 2nd gen run on Cloud Run and are built by Cloud Build into Artifact Registry; Eventarc and
# Pub/Sub carry the storage events; BigLake serves the Iceberg REST catalog BigQuery reads.
run gcloud services enable \
  cloudfunctions.googleapis.com run.googleapis.com cloudbuild.googleapis.com \
  artifactregistry.googleapis.com eventarc.googleapis.com pubsub.googleapis.com \
  cloudtasks.googleapis.com firestore.googleapis.com storage.googleapis.com \
  biglake.googleapis.com bigquery.googleapis.com iam.googleapis.com logging.googleapis.com \
  monitoring.googleapis.com --project="$PROJECT"

# ---------------------------------------------------------------------------------------------------
step 'Buckets'
# A missing bucket is made in the region (single-region, which the Eventarc trigger's location must
# match), with uniform access (IAM only) and public access prevented. An existing one is left as it is.
BUCKETS=("$BUCKET")
[[ $LAKE_BUCKET == "$BUCKET" ]] || BUCKETS+=("$LAKE_BUCKET")
for bucket in "${BUCKETS[@]}"; do
  if probe gcloud storage buckets describe "gs://${bucket}" --project="$PROJECT"; then
    note "bucket gs://${bucket} exists"
  else
    run gcloud storage buckets create "gs://${bucket}" --location="$REGION" \
      --uniform-bucket-level-access --public-access-prevention --project="$PROJECT"
  fi
done

# ---------------------------------------------------------------------------------------------------
step 'Service accounts'
service_account "${NAME_PREFIX}-ingest" 'datastream-iceberg ingest function'
service_account "${NAME_PREFIX}-commit" 'datastream-iceberg commit function'
service_account "${NAME_PREFIX}-tasks" 'datastream-iceberg Cloud Tasks caller of the commit function'
service_account "${NAME_PREFIX}-events" 'datastream-iceberg storage event delivery to the ingest function'

step 'Roles of the ingest function'
# Reads the Datastream objects, nothing else of the landing bucket.
bucket_role "$BUCKET" "serviceAccount:${INGEST_SA}" roles/storage.objectViewer
# Writes the staged change-sets under the work prefix (a re-run after a crash overwrites its own
# object, which needs delete as well as create: objectUser, not objectCreator).
bucket_role "$LAKE_BUCKET" "serviceAccount:${INGEST_SA}" roles/storage.objectUser
# File markers and pending change-set records in Firestore.
project_role "serviceAccount:${INGEST_SA}" roles/datastore.user
# Creates the commit tasks (cloudtasks.tasks.create).
project_role "serviceAccount:${INGEST_SA}" roles/cloudtasks.enqueuer
if [[ $CREATE_QUEUES == true ]]; then
  # Creates the queue of a table Datastream brings without notice (cloudtasks.queues.create).
  project_role "serviceAccount:${INGEST_SA}" roles/cloudtasks.queueAdmin
fi
# Puts the tasks account's OIDC token on each task (iam.serviceAccounts.actAs on that account only).
run gcloud iam service-accounts add-iam-policy-binding "$TASKS_SA" \
  --member="serviceAccount:${INGEST_SA}" --role=roles/iam.serviceAccountUser --project="$PROJECT"

step 'Roles of the commit function'
# Reads change-sets, writes data files, manifests and metadata, removes files of failed attempts.
bucket_role "$LAKE_BUCKET" "serviceAccount:${COMMIT_SA}" roles/storage.objectUser
# Leases and change-set records in Firestore.
project_role "serviceAccount:${COMMIT_SA}" roles/datastore.user
# Creates namespaces and tables and commits snapshots through the BigLake Iceberg REST catalog.
# (Could be narrowed to the catalog with `gcloud biglake iceberg catalogs set-iam-policy`.)
project_role "serviceAccount:${COMMIT_SA}" roles/biglake.editor
# The catalog client sends x-goog-user-project (billing of the catalog calls), which requires
# serviceusage.services.use on the project.
project_role "serviceAccount:${COMMIT_SA}" roles/serviceusage.serviceUsageConsumer

# ---------------------------------------------------------------------------------------------------
step 'Firestore'
if probe gcloud firestore databases describe --database="$FIRESTORE_DATABASE" --project="$PROJECT"; then
  note "Firestore database ${FIRESTORE_DATABASE} exists"
else
  run gcloud firestore databases create --database="$FIRESTORE_DATABASE" \
    --location="$FIRESTORE_LOCATION" --type=firestore-native --project="$PROJECT"
fi
# The pending change-set query (listPendingChangesets in shared/adapters/gcp/firestore-state-store.ts):
# where table == T and status == 'pending', order by createdAtMs, id.
run_create gcloud firestore indexes composite create \
  --collection-group="$CHANGESETS_COLLECTION" --query-scope=collection \
  --field-config=field-path=table,order=ascending \
  --field-config=field-path=status,order=ascending \
  --field-config=field-path=createdAtMs,order=ascending \
  --field-config=field-path=id,order=ascending \
  --database="$FIRESTORE_DATABASE" --project="$PROJECT" --async
# File markers and committed change-set records expire by their ${TTL_FIELD} field. Leases get no
# policy: a lease document must outlive its expiry so its token keeps increasing.
for collection in "$FILES_COLLECTION" "$CHANGESETS_COLLECTION"; do
  run gcloud firestore fields ttls update "$TTL_FIELD" --collection-group="$collection" \
    --enable-ttl --database="$FIRESTORE_DATABASE" --project="$PROJECT" --async
done

# ---------------------------------------------------------------------------------------------------
step 'BigLake Iceberg REST catalog'
# A Cloud Storage bucket catalog: its id is the bucket name, its warehouse gs://BUCKET, and BigQuery
# reads its tables as PROJECT.BUCKET.NAMESPACE.TABLE.
if probe gcloud biglake iceberg catalogs describe "$LAKE_BUCKET" --project="$PROJECT"; then
  note "catalog ${LAKE_BUCKET} exists"
else
  run gcloud biglake iceberg catalogs create "$LAKE_BUCKET" --catalog-type=gcs-bucket \
    --credential-mode="$CREDENTIAL_MODE" --project="$PROJECT"
fi
if [[ $CREDENTIAL_MODE == vended-credentials ]]; then
  # The catalog's own service account reads and writes the bucket for the tokens it vends. The name of
  # the field holding it (biglakeServiceAccount) is not verified against a live catalog.
  CATALOG_SA=$(lookup CATALOG_SERVICE_ACCOUNT gcloud biglake iceberg catalogs describe "$LAKE_BUCKET" \
    --project="$PROJECT" --format='value(biglakeServiceAccount)')
  bucket_role "$LAKE_BUCKET" "serviceAccount:${CATALOG_SA}" roles/storage.objectUser
fi

# ---------------------------------------------------------------------------------------------------
step 'Cloud Tasks queues (one per table, one dispatch at a time)'
if ((${#TABLE_KEYS[@]} == 0)); then
  note 'no --tables: ingest creates each table queue on first use (DSI_CREATE_QUEUES=true)'
fi
# Retries without end (a table stays blocked until its cause is fixed, nothing is dropped), backing
# off from 1 s to 5 min: the settings ingest uses when it creates a queue itself.
QUEUE_SETTINGS=(--max-concurrent-dispatches=1 --max-dispatches-per-second=10 --max-attempts=-1
  --min-backoff=1s --max-backoff=300s)
for table in "${TABLE_KEYS[@]}"; do
  queue=$(queue_id_for_table "$table")
  note "table ${table}"
  if probe gcloud tasks queues describe "$queue" --location="$REGION" --project="$PROJECT"; then
    # An existing queue is brought back to the settings: one dispatch at a time is what keeps the
    # table's commits serial.
    run gcloud tasks queues update "$queue" --location="$REGION" "${QUEUE_SETTINGS[@]}" --project="$PROJECT"
  else
    run gcloud tasks queues create "$queue" --location="$REGION" "${QUEUE_SETTINGS[@]}" --project="$PROJECT"
  fi
done

# ---------------------------------------------------------------------------------------------------
step 'Commit function (HTTP, called by Cloud Tasks only)'
COMMIT_ENV=$(function_env "$COMMIT_URL")
# Timeout below the dispatch deadline; one request per instance (a commit holds a table's data in
# memory); tables commit in parallel on separate instances.
run gcloud functions deploy "$COMMIT_FUNCTION" --gen2 --runtime=nodejs22 --region="$REGION" \
  --source="$SOURCE_DIR" --entry-point=commit --trigger-http --no-allow-unauthenticated \
  --service-account="$COMMIT_SA" --timeout="${COMMIT_TIMEOUT}s" --memory=2Gi --cpu=1 \
  --concurrency=1 --max-instances=50 --set-env-vars="$COMMIT_ENV" --project="$PROJECT"
# Cloud Tasks calls it with the tasks account's OIDC token: that account alone may invoke it.
run gcloud functions add-invoker-policy-binding "$COMMIT_FUNCTION" --region="$REGION" \
  --member="serviceAccount:${TASKS_SA}" --project="$PROJECT"
COMMIT_URL=$(lookup "$COMMIT_URL" gcloud functions describe "$COMMIT_FUNCTION" --region="$REGION" \
  --project="$PROJECT" --format='value(serviceConfig.uri)')
note "commit URL: ${COMMIT_URL}"

# ---------------------------------------------------------------------------------------------------
INGEST_ENV=$(function_env "$COMMIT_URL")
INGEST_COMMON=(--gen2 --runtime=nodejs22 --region="$REGION" --source="$SOURCE_DIR"
  --service-account="$INGEST_SA" --timeout="${INGEST_TIMEOUT}s" --memory=1Gi --cpu=1 --concurrency=8
  --max-instances=20 --set-env-vars="$INGEST_ENV" --project="$PROJECT")

if [[ $TRIGGER == eventarc ]]; then
  step 'Ingest function (Eventarc: object finalized in the landing bucket)'
  if [[ -z $BUCKET_LOCATION ]]; then
    BUCKET_LOCATION=$(lookup "$REGION" gcloud storage buckets describe "gs://${BUCKET}" \
      --project="$PROJECT" --format='value(location)')
    BUCKET_LOCATION=$(printf '%s' "$BUCKET_LOCATION" | tr '[:upper:]' '[:lower:]')
  fi
  # Cloud Storage publishes the events through Pub/Sub: its service agent needs to publish.
  project_role "serviceAccount:${GCS_SERVICE_AGENT}" roles/pubsub.publisher
  # The trigger's identity receives the events and invokes the function.
  project_role "serviceAccount:${EVENTS_SA}" roles/eventarc.eventReceiver
  # The trigger filters by bucket only; the function skips objects outside DSI_LANDING_PREFIX. With
  # --retry a failed delivery is retried (up to 24 h); a bad file is recorded as failed and acknowledged.
  run gcloud functions deploy "$INGEST_FUNCTION" "${INGEST_COMMON[@]}" --entry-point=ingest \
    --trigger-event-filters=type=google.cloud.storage.object.v1.finalized \
    --trigger-event-filters="bucket=${BUCKET}" --trigger-location="$BUCKET_LOCATION" \
    --trigger-service-account="$EVENTS_SA" --retry
  run gcloud functions add-invoker-policy-binding "$INGEST_FUNCTION" --region="$REGION" \
    --member="serviceAccount:${EVENTS_SA}" --project="$PROJECT"
else
  step 'Ingest function (Cloud Storage notification → Pub/Sub push)'
  run gcloud functions deploy "$INGEST_FUNCTION" "${INGEST_COMMON[@]}" --entry-point=ingestPubsub \
    --trigger-http --no-allow-unauthenticated
  run gcloud functions add-invoker-policy-binding "$INGEST_FUNCTION" --region="$REGION" \
    --member="serviceAccount:${EVENTS_SA}" --project="$PROJECT"
  INGEST_URL=https://${INGEST_FUNCTION}-${PROJECT_NUMBER}.${REGION}.run.app
  INGEST_URL=$(lookup "$INGEST_URL" gcloud functions describe "$INGEST_FUNCTION" --region="$REGION" \
    --project="$PROJECT" --format='value(serviceConfig.uri)')
  if probe gcloud pubsub topics describe "$TOPIC" --project="$PROJECT"; then
    note "topic ${TOPIC} exists"
  else
    run gcloud pubsub topics create "$TOPIC" --project="$PROJECT"
  fi
  # Cloud Storage publishes the notifications to the topic.
  run gcloud pubsub topics add-iam-policy-binding "$TOPIC" \
    --member="serviceAccount:${GCS_SERVICE_AGENT}" --role=roles/pubsub.publisher --project="$PROJECT"
  # Each create adds one more notification (duplicates would deliver every object twice): create it
  # only when the bucket has none to this topic. Unlike the Eventarc trigger it filters by prefix.
  if probe bucket_notifies_topic; then
    note "gs://${BUCKET} already notifies ${TOPIC}"
  else
    NOTIFICATION=(gcloud storage buckets notifications create "gs://${BUCKET}"
      --topic="projects/${PROJECT}/topics/${TOPIC}" --event-types=OBJECT_FINALIZE --payload-format=json)
    [[ -z $LANDING_PREFIX ]] || NOTIFICATION+=(--object-prefix="$LANDING_PREFIX")
    run "${NOTIFICATION[@]}" --project="$PROJECT"
  fi
  # Pub/Sub signs the push with the events account's OIDC token (its service agent mints it).
  run gcloud iam service-accounts add-iam-policy-binding "$EVENTS_SA" \
    --member="serviceAccount:${PUBSUB_SERVICE_AGENT}" --role=roles/iam.serviceAccountTokenCreator \
    --project="$PROJECT"
  # The acknowledgement deadline (600 s, the maximum) exceeds the function's timeout, so a slow file is
  # not pushed a second time while the first run still works on it.
  if probe gcloud pubsub subscriptions describe "$SUBSCRIPTION" --project="$PROJECT"; then
    run gcloud pubsub subscriptions update "$SUBSCRIPTION" --push-endpoint="$INGEST_URL" \
      --push-auth-service-account="$EVENTS_SA" --ack-deadline=600 --project="$PROJECT"
  else
    run gcloud pubsub subscriptions create "$SUBSCRIPTION" --topic="$TOPIC" \
      --push-endpoint="$INGEST_URL" --push-auth-service-account="$EVENTS_SA" --ack-deadline=600 \
      --min-retry-delay=10s --max-retry-delay=600s --project="$PROJECT"
  fi
fi

# ---------------------------------------------------------------------------------------------------
step 'Monitoring: log-based metrics, dashboard, alert policies'
# The functions log one JSON line per event (shared/log.ts); Cloud Logging turns each line into
# jsonPayload, and these metrics count or measure the lines an operator cares about: each table's lag
# and pending change-sets at each commit (`committed`), rejected files (`file rejected`) and failed
# commits (`table commit failed`). The configs are templates in scripts/deploy/monitoring/, rendered
# for this deployment (name prefix, lag threshold, notification channels) into --monitoring-dir.
monitoring_config() { # template [--field KEY]
  node "${SCRIPT_DIR}/deploy/monitoring-config.mjs" "${SCRIPT_DIR}/deploy/monitoring/$1" \
    --project "$PROJECT" --prefix "$NAME_PREFIX" --lag-alert-minutes "$LAG_ALERT_MINUTES" \
    --notification-channels "$NOTIFICATION_CHANNELS" "${@:2}"
}
run mkdir -p "$MONITORING_DIR"
for metric in table-lag pending-changesets files-rejected table-failures; do
  file=${MONITORING_DIR}/metric-${metric}.json
  write_file "$file" "$(monitoring_config "metrics/${metric}.json")"
  if probe gcloud logging metrics describe "${NAME_PREFIX}-${metric}" --project="$PROJECT"; then
    run gcloud logging metrics update "${NAME_PREFIX}-${metric}" --config-from-file="$file" --project="$PROJECT"
  else
    run gcloud logging metrics create "${NAME_PREFIX}-${metric}" --config-from-file="$file" --project="$PROJECT"
  fi
done
# A dashboard or a policy is found again by its display name, so a second run updates it in place.
DASHBOARD_FILE=${MONITORING_DIR}/dashboard.json
write_file "$DASHBOARD_FILE" "$(monitoring_config dashboard.json)"
DASHBOARD_TITLE=$(monitoring_config dashboard.json --field displayName)
DASHBOARD=$(lookup '' gcloud monitoring dashboards list --project="$PROJECT" \
  --filter="displayName=\"${DASHBOARD_TITLE}\"" --format='value(name)' --limit=1)
if [[ -n $DASHBOARD ]]; then
  run gcloud monitoring dashboards update "$DASHBOARD" --config-from-file="$DASHBOARD_FILE" --project="$PROJECT"
else
  run gcloud monitoring dashboards create --config-from-file="$DASHBOARD_FILE" --project="$PROJECT"
fi
if [[ -z $NOTIFICATION_CHANNELS ]]; then
  note 'no --notification-channel: the alert policies open incidents in the console and notify no one'
fi
# Alert policies are only in gcloud's alpha track.
for policy in table-lag files-rejected table-failing; do
  file=${MONITORING_DIR}/policy-${policy}.json
  write_file "$file" "$(monitoring_config "policies/${policy}.json")"
  title=$(monitoring_config "policies/${policy}.json" --field displayName)
  existing=$(lookup '' gcloud alpha monitoring policies list --project="$PROJECT" \
    --filter="displayName=\"${title}\"" --format='value(name)' --limit=1)
  if [[ -n $existing ]]; then
    run gcloud alpha monitoring policies update "$existing" --policy-from-file="$file" --project="$PROJECT"
  else
    run gcloud alpha monitoring policies create --policy-from-file="$file" --project="$PROJECT"
  fi
done

step 'Done'
note "BigQuery reads the tables as \`${PROJECT}.${LAKE_BUCKET}.<schema>.<table>\`"
