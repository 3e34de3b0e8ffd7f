// PostgreSQL in the test stack: a real source database with logical decoding (`wal_level=logical`, the
// `test_decoding` plugin), for the tests that run `scripts/setup-source.sh` for real and the end-to-end
// test that decodes a workload into Datastream-shaped files. The server is the machine's PostgreSQL 15
// (the Debian package, installed here when missing), with a fresh cluster at every stack start in
// .cache/stack/offset-<n>/postgres (initdb takes well under a second), bound to 127.0.0.1 only, no Unix
// socket, `trust` authentication (loopback only, a throw-away cluster), and fsync off (nothing in it
// outlives the stack). synchronous_commit stays on: the SQL decoding functions
// (pg_logical_slot_get_changes) read only WAL already flushed, so with it off a just-committed
// transaction may not be decoded yet.
//
// PostgreSQL refuses to run as root. When the stack runs as root (CI does), initdb and the server run
// as the unprivileged `postgres` user (the Debian package creates it; created here if missing): Node
// spawns them with that uid and gid directly, so the recorded PID is the server itself.
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { HOST, PINS, REPO_ROOT, runDir, stackPorts } from './config.mjs';
import { exec } from './exec.mjs';
import { assertPortFree, startProcess, stopProcesses, waitReady } from './processes.mjs';

const RUN_AS = 'postgres';

function log(message) {
  console.error(`[stack] ${message}`);
}

function binDir() {
  return process.env.STACK_POSTGRES_BIN ?? `/usr/lib/postgresql/${PINS.postgres.major}/bin`;
}

async function decodingPluginPresent(bin) {
  try {
    const { stdout } = await exec(join(bin, 'pg_config'), ['--pkglibdir']);
    return existsSync(join(stdout.trim(), 'test_decoding.so'));
  } catch {
    // pg_config comes with the server package on Debian; without it look beside the binaries.
    return existsSync(join(dirname(bin), 'lib', 'test_decoding.so'));
  }
}

async function serverPresent(bin) {
  return (
    existsSync(join(bin, 'postgres')) &&
    existsSync(join(bin, 'initdb')) &&
    existsSync(join(bin, 'pg_isready')) &&
    (await decodingPluginPresent(bin))
  );
}

// Debian's package would otherwise create and start a `main` cluster on port 5432: a server the stack
// neither needs nor stops. A createcluster.d drop-in of postgresql-common tells it not to.
const NO_MAIN_CLUSTER = '/etc/postgresql-common/createcluster.d/datastream-iceberg-test-stack.conf';

async function aptInstall(pkg) {
  if (!existsSync(NO_MAIN_CLUSTER)) {
    mkdirSync(dirname(NO_MAIN_CLUSTER), { recursive: true });
    writeFileSync(
      NO_MAIN_CLUSTER,
      '# Written by the datastream-iceberg test stack, which runs clusters of its own.\ncreate_main_cluster = false\n',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await exec('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  } catch {
    // A fresh machine may have no package lists yet.
    await exec('apt-get', ['update'], { env });
    await exec('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env });
  }
}

async function idsOf(user) {
  try {
    const uid = Number((await exec('id', ['-u', user])).stdout.trim());
    const gid = Number((await exec('id', ['-g', user])).stdout.trim());
    return { name: user, uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * The PostgreSQL server binaries (installed with apt-get when missing and the stack runs as root) and
 * the unprivileged user to run them as when the stack runs as root (undefined otherwise).
 */
export async function ensurePostgres() {
  const bin = binDir();
  const { major, debianPackage } = PINS.postgres;
  if (!(await serverPresent(bin))) {
    if (process.env.STACK_POSTGRES_BIN || process.getuid?.() !== 0) {
      throw new Error(
        `PostgreSQL ${major} is missing: no postgres, initdb, pg_isready and test_decoding plugin under ${bin} ` +
          `(install the Debian package ${debianPackage}, or point STACK_POSTGRES_BIN at another server's bin folder)`,
      );
    }
    log(`installing PostgreSQL ${major} (apt-get install ${debianPackage}) …`);
    await aptInstall(debianPackage);
    if (!(await serverPresent(bin))) {
      throw new Error(
        `apt-get installed ${debianPackage} but ${bin} has no complete server with test_decoding`,
      );
    }
  }
  let user;
  if (process.getuid?.() === 0) {
    user = await idsOf(RUN_AS);
    if (!user) {
      log(`creating the system user ${RUN_AS} to run PostgreSQL (it refuses to run as root) …`);
      await exec('useradd', [
        '--system',
        '--user-group',
        '--no-create-home',
        '--shell',
        '/usr/sbin/nologin',
        RUN_AS,
      ]);
      user = await idsOf(RUN_AS);
      if (!user) throw new Error(`useradd reported success but there is no user ${RUN_AS}`);
    }
  }
  return { postgresBin: bin, postgresUser: user };
}

/** Spawn options that run a PostgreSQL program as its user (when the stack runs as root). */
function asUser(installed) {
  const user = installed.postgresUser;
  return user ? { uid: user.uid, gid: user.gid } : {};
}

/**
 * Where the cluster lives: `<runDir>/postgres`, unless the server's user cannot reach that folder (a
 * checkout under a home or temporary folder of mode 0700, as root): then a folder of this checkout
 * under the system's temporary folder, which every user can reach.
 */
export async function postgresDataDir(installed, runDir) {
  const preferred = join(runDir, 'postgres');
  if (!installed.postgresUser) return preferred;
  mkdirSync(runDir, { recursive: true });
  try {
    await exec('test', ['-x', runDir], asUser(installed));
    return preferred;
  } catch {
    const checkout = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12);
    const fallback = join(tmpdir(), `datastream-iceberg-postgres-${checkout}`, basename(runDir));
    log(
      `${runDir} is out of reach of the ${installed.postgresUser.name} user: its cluster goes to ${fallback}`,
    );
    mkdirSync(dirname(fallback), { recursive: true, mode: 0o755 });
    return fallback;
  }
}

/** A new, empty cluster in `dataDir` (any earlier one is removed). */
async function initCluster(installed, dataDir) {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const user = installed.postgresUser;
  if (user) chownSync(dataDir, user.uid, user.gid);
  try {
    await exec(
      join(installed.postgresBin, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
        '--no-instructions',
      ],
      // The cwd must be reachable by the server's user (root's home often is not).
      { cwd: dirname(dataDir), ...asUser(installed) },
    );
  } catch (error) {
    throw new Error(
      `initdb of the test stack's PostgreSQL failed${user ? ` (run as ${user.name}: every folder above ${dataDir} must be searchable by that user)` : ''}: ${error.message}`,
    );
  }
}

export function postgresService(installed, ports, dataDir) {
  const bin = installed.postgresBin;
  return {
    name: 'postgres',
    command: join(bin, 'postgres'),
    args: [
      '-D', dataDir,
      '-c', `listen_addresses=${HOST}`,
      '-c', `port=${ports.postgres}`,
      '-c', "unix_socket_directories=",
      '-c', 'wal_level=logical',
      '-c', 'max_replication_slots=32',
      '-c', 'max_wal_senders=16',
      '-c', 'max_connections=60',
      '-c', 'shared_buffers=32MB',
      '-c', 'fsync=off',
      '-c', 'full_page_writes=off',
      '-c', 'TimeZone=UTC',
      '-c', 'log_min_messages=warning',
    ], // prettier-ignore
    cwd: dirname(dataDir),
    ...asUser(installed),
    prepare: () => initCluster(installed, dataDir),
    // SIGINT is PostgreSQL's fast shutdown (its backends end, the server exits); SIGTERM would wait for
    // every client to disconnect. Sent to the server alone: it stops its own children.
    stopSignal: 'SIGINT',
    // pg_isready succeeds only once the server accepts connections (not while it is starting up).
    probe: {
      kind: 'command',
      command: join(bin, 'pg_isready'),
      args: ['-h', HOST, '-p', String(ports.postgres), '-U', 'postgres', '-d', 'postgres', '-t', '2'],
      describe: `pg_isready on ${HOST}:${ports.postgres}`,
    },
  };
}

/** What the tests get (see test/support/stack-env.ts). */
export function postgresEnvironment(installed, ports) {
  return {
    DSI_POSTGRES_URL: `postgresql://postgres@${HOST}:${ports.postgres}/postgres`,
    DSI_POSTGRES_BIN: installed.postgresBin,
  };
}

/**
 * The stack's PostgreSQL alone, for a benchmark that needs only a source database (`npm run bench --
 * verify` without a loaded stack): a fresh cluster in <runDir>/bench/postgres on the stack's PostgreSQL
 * port of this offset, started, probed, and stopped by PID with `stop()` (its folder removed). Larger
 * buffers than the test stack's: a benchmark loads a million rows.
 */
export async function startStandalonePostgres() {
  const installed = await ensurePostgres();
  const ports = stackPorts();
  await assertPortFree(HOST, ports.postgres, 'PostgreSQL');
  const dir = join(runDir(), 'bench');
  const dataDir = await postgresDataDir(installed, dir);
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const service = postgresService(installed, ports, dataDir);
  service.args = service.args.map((arg) => (arg === 'shared_buffers=32MB' ? 'shared_buffers=256MB' : arg));
  await service.prepare();
  const handle = startProcess(service, logDir);
  if (!handle.record) throw new Error(`PostgreSQL could not be started (${service.command})`);
  const stop = async () => {
    const survivors = await stopProcesses([handle.record]);
    if (survivors.length > 0) throw new Error(`PostgreSQL (pid ${handle.record.pid}) did not stop`);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(service, handle, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`PostgreSQL for the benchmark on ${HOST}:${ports.postgres}`);
  return { env: postgresEnvironment(installed, ports), stop };
}
