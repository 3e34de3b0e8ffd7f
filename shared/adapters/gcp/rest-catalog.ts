// A thin client of the Iceberg REST catalog protocol (BigLake's Iceberg REST endpoint, or the reference
// server in tests): fetch plus the lossless JSON of metadata-json.ts, so snapshot ids beyond 2^53 come
// back and go out exact. Errors are mapped to the catalog port's: 409 on commit → CommitConflictError;
// 500/502/503/504, timeouts and network failures on commit → CommitStateUnknownError; 404 → NoSuchTableError.

import { identifierFolder } from '../../names/storage-path.js';
import { randomUUID } from 'node:crypto';
import {
  CommitConflictError,
  CommitStateUnknownError,
  NoSuchTableError,
  TableAlreadyExistsError,
  type Catalog,
  type CreateTableRequest,
  type LoadedTable,
  type TableIdentifier,
} from '../../ports/catalog.js';
import type { TableMetadata, TableRequirement, TableUpdate } from '../../iceberg/spec/metadata-types.js';
import { parseJson, stringifyJson } from '../../iceberg/spec/metadata-json.js';

/** Extra headers for every request (auth, billing project); called per request so tokens stay fresh. */
export type HeaderProvider = () => Promise<Record<string, string>> | Record<string, string>;

export interface RestCatalogOptions {
  /** Base URI; the client appends /v1/…, e.g. https://biglake.googleapis.com/iceberg/v1/restcatalog */
  uri: string;
  /** Sent as ?warehouse= on GET /v1/config (BigLake: gs://bucket). */
  warehouse?: string;
  headers?: HeaderProvider;
  /** Sends X-Iceberg-Access-Delegation on every call (BigLake catalogs in vended-credentials mode). */
  accessDelegation?: 'vended-credentials';
  /**
   * When set, a table created without a location gets `<tableRoot>/<namespace>/<name>`, each name one
   * percent-encoded segment (shared/names/storage-path.ts), instead of the server's choice: a server
   * joins raw names, so `../x` would leave the warehouse and table `a/data` would sit inside table `a`.
   */
  tableRoot?: string;
  /** Per-request timeout; a commit that times out is in an unknown state. Default 60 s. */
  timeoutMs?: number;
  name?: string;
  fetch?: typeof fetch;
}

/** A non-success answer of the catalog, with the HTTP status and the Iceberg error type. */
export class RestCatalogError extends Error {
  constructor(
    public readonly status: number,
    public readonly icebergType: string | undefined,
    public readonly detail: string,
    public readonly request: string,
  ) {
    super(`${request} → ${status}${icebergType ? ` ${icebergType}` : ''}: ${detail}`);
    this.name = 'RestCatalogError';
  }
}

interface CatalogConfig {
  defaults?: Record<string, string>;
  overrides?: Record<string, string>;
  endpoints?: string[];
}

interface LoadTableResult {
  'metadata-location': string;
  metadata: TableMetadata;
  config?: Record<string, string>;
}

const COMMIT_UNKNOWN_STATUSES = new Set([500, 502, 503, 504]);
const DEFAULT_TIMEOUT_MS = 60_000;

export class RestCatalog implements Catalog {
  readonly name: string;
  private readonly fetchImpl: typeof fetch;
  private config: Promise<{ base: string; prefix: string; properties: Record<string, string> }> | undefined;

  constructor(private readonly options: RestCatalogOptions) {
    this.name = options.name ?? 'rest';
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** The merged catalog properties (defaults, then overrides) from GET /v1/config. */
  async properties(): Promise<Record<string, string>> {
    return (await this.resolveConfig()).properties;
  }

  async createNamespace(namespace: string[], properties: Record<string, string> = {}): Promise<void> {
    try {
      await this.call('POST', 'namespaces', { body: { namespace, properties }, mutation: true });
    } catch (error) {
      if (error instanceof RestCatalogError && error.status === 409) return;
      // Two first commits of tables in one new namespace race to create it, and a catalog may answer the
      // loser with a 5xx (the reference server's database refuses the duplicate row) instead of 409; a
      // timeout may also hide a create that landed. Either way the namespace existing now is success.
      if (await this.namespaceExists(namespace).catch(() => false)) return;
      throw error;
    }
  }

  async namespaceExists(namespace: string[]): Promise<boolean> {
    try {
      await this.call('GET', `namespaces/${encodeNamespace(namespace)}`);
      return true;
    } catch (error) {
      if (error instanceof RestCatalogError && error.status === 404) return false;
      throw error;
    }
  }

  async listNamespaces(): Promise<string[][]> {
    const found: string[][] = [];
    const visit = async (parent: string[] | undefined): Promise<void> => {
      let pageToken: string | undefined;
      do {
        const params = new URLSearchParams();
        if (parent) params.set('parent', parent.join('\u001f'));
        if (pageToken) params.set('pageToken', pageToken);
        const query = params.size > 0 ? `?${params.toString()}` : '';
        const page = await this.call<{ namespaces?: string[][]; 'next-page-token'?: string | null }>(
          'GET',
          `namespaces${query}`,
        );
        for (const namespace of page.namespaces ?? []) {
          // A server that ignores `parent` answers the top level again: never descend into that.
          if (parent && namespace.length <= parent.length) continue;
          found.push(namespace);
          await visit(namespace);
        }
        pageToken = page['next-page-token'] ?? undefined;
      } while (pageToken);
    };
    await visit(undefined);
    return found.sort((a, b) => a.join('.').localeCompare(b.join('.')));
  }

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    const tables: TableIdentifier[] = [];
    let pageToken: string | undefined;
    do {
      const query = pageToken ? `?pageToken=${encodeURIComponent(pageToken)}` : '';
      const page = await this.call<{ identifiers?: TableIdentifier[]; 'next-page-token'?: string | null }>(
        'GET',
        `namespaces/${encodeNamespace(namespace)}/tables${query}`,
      );
      tables.push(...(page.identifiers ?? []));
      pageToken = page['next-page-token'] ?? undefined;
    } while (pageToken);
    return tables;
  }

  async createTable(namespace: string[], request: CreateTableRequest): Promise<LoadedTable> {
    try {
      const result = await this.call<LoadTableResult>(
        'POST',
        `namespaces/${encodeNamespace(namespace)}/tables`,
        {
          body:
            request.location === undefined && this.options.tableRoot !== undefined
              ? { ...request, location: identifierFolder(this.options.tableRoot, namespace, request.name) }
              : request,
          mutation: true,
        },
      );
      return loaded(result);
    } catch (error) {
      if (error instanceof RestCatalogError && error.status === 409) {
        throw new TableAlreadyExistsError({ namespace, name: request.name });
      }
      throw error;
    }
  }

  async loadTable(table: TableIdentifier): Promise<LoadedTable> {
    try {
      return loaded(await this.call<LoadTableResult>('GET', tablePath(table)));
    } catch (error) {
      if (error instanceof RestCatalogError && error.status === 404) throw new NoSuchTableError(table);
      throw error;
    }
  }

  async commitTable(
    table: TableIdentifier,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable> {
    let result: LoadTableResult;
    try {
      result = await this.call<LoadTableResult>('POST', tablePath(table), {
        body: {
          identifier: { namespace: table.namespace, name: table.name },
          requirements,
          updates: updates.map(withoutNullParent),
        },
        mutation: true,
        unknownOnFailure: true,
      });
    } catch (error) {
      if (error instanceof RestCatalogError) {
        if (error.status === 409) throw new CommitConflictError(error.message);
        if (error.status === 404) throw new NoSuchTableError(table);
        if (COMMIT_UNKNOWN_STATUSES.has(error.status)) {
          throw new CommitStateUnknownError(error.message, { cause: error });
        }
      }
      throw error;
    }
    return loaded(result);
  }

  async dropTable(table: TableIdentifier): Promise<void> {
    try {
      await this.call('DELETE', tablePath(table), { mutation: true });
    } catch (error) {
      if (error instanceof RestCatalogError && error.status === 404) throw new NoSuchTableError(table);
      throw error;
    }
  }

  private resolveConfig(): Promise<{ base: string; prefix: string; properties: Record<string, string> }> {
    // cached once it succeeds; a failure (auth, network) is reported, never replaced by a guessed prefix
    this.config ??= this.loadConfig().catch((error: unknown) => {
      this.config = undefined;
      throw error;
    });
    return this.config;
  }

  private async loadConfig(): Promise<{ base: string; prefix: string; properties: Record<string, string> }> {
    const base = this.options.uri.replace(/\/+$/, '');
    const query = this.options.warehouse ? `?warehouse=${encodeURIComponent(this.options.warehouse)}` : '';
    const config = await this.send<CatalogConfig>(base, 'GET', `v1/config${query}`, {});
    const properties = { ...config.defaults, ...config.overrides };
    const prefix = (properties.prefix ?? '').replace(/^\/+|\/+$/g, '');
    const uri = config.overrides?.uri?.replace(/\/+$/, '') ?? base;
    return { base: uri, prefix, properties };
  }

  private async call<T = unknown>(
    method: string,
    route: string,
    options: { body?: unknown; mutation?: boolean; unknownOnFailure?: boolean } = {},
  ): Promise<T> {
    const { base, prefix } = await this.resolveConfig();
    // the prefix (BigLake: projects/P/catalogs/C) is a path of its own and is not encoded
    return this.send<T>(base, method, `v1/${prefix ? `${prefix}/` : ''}${route}`, options);
  }

  private async send<T>(
    base: string,
    method: string,
    path: string,
    options: { body?: unknown; mutation?: boolean; unknownOnFailure?: boolean },
  ): Promise<T> {
    const url = `${base}/${path}`;
    const request = `${method} ${url}`;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...(await this.options.headers?.()),
    };
    if (this.options.accessDelegation) headers['X-Iceberg-Access-Delegation'] = this.options.accessDelegation;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.mutation) headers['Idempotency-Key'] = randomUUID();

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: stringifyJson(options.body) } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      text = await response.text();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (options.unknownOnFailure) {
        throw new CommitStateUnknownError(`${request} failed without an answer (${reason})`, {
          cause: error,
        });
      }
      throw new Error(`${request} failed without an answer (${reason})`, { cause: error });
    }
    if (!response.ok) throw errorOf(response.status, text, request);
    if (response.status === 204 || text.trim() === '') return undefined as T;
    return parseJson<T>(text, request);
  }
}

function errorOf(status: number, text: string, request: string): RestCatalogError {
  let type: string | undefined;
  let message = text.slice(0, 500);
  try {
    const body = parseJson<{ error?: { message?: string; type?: string } }>(text, request);
    type = body.error?.type;
    message = body.error?.message ?? message;
  } catch {
    // not an Iceberg ErrorModel (a proxy's HTML page, for instance): keep the raw text
  }
  return new RestCatalogError(status, type, message, request);
}

// The Java catalog rejects `"parent-snapshot-id": null` (it parses the field as a long when present);
// a first snapshot must leave the field out.
function withoutNullParent(update: TableUpdate): TableUpdate {
  if (update.action !== 'add-snapshot' || update.snapshot['parent-snapshot-id'] !== null) return update;
  const { 'parent-snapshot-id': _parent, ...snapshot } = update.snapshot;
  return { ...update, snapshot };
}

function loaded(result: LoadTableResult): LoadedTable {
  return { metadataLocation: result['metadata-location'], metadata: result.metadata };
}

/** Multi-level namespaces are joined with the unit separator 0x1F, as the REST spec says. */
function encodeNamespace(namespace: string[]): string {
  return encodeURIComponent(namespace.join('\u001f'));
}

function tablePath(table: TableIdentifier): string {
  return `namespaces/${encodeNamespace(table.namespace)}/tables/${encodeURIComponent(table.name)}`;
}
