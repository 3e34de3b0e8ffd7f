// PostgreSQL's `test_decoding` output plugin, read back: the rows of
// pg_logical_slot_get_changes(slot, …, 'include-xids', '1', 'include-timestamp', '1') grouped into
// committed transactions (xid, commit time, changes with their own LSN), each change a table, an action
// and its columns as PostgreSQL's text output of their values. Rolled-back transactions never appear
// (the plugin only sees commits).
//
// The plugin's lines:
//   BEGIN 745
//   table public.products: INSERT: id[integer]:1004 name[character varying]:'it''s' price[numeric]:77.70
//   table public.products: UPDATE: id[integer]:1004 …            (old-key: … new-tuple: … when the key changed)
//   table public.products: DELETE: id[integer]:1004              (the replica identity's columns)
//   COMMIT 745 (at 2026-12-06 20:09:13.123456+00)
// Identifiers are quoted where SQL needs it ("Line""Items"); a value is `null`, `unchanged-toast-datum`,
// a bare literal (numbers, true/false) or a single-quoted literal with '' for a quote.

export interface DecodedColumn {
  name: string;
  /** The type as the plugin names it (format_type: `integer`, `text[]`, `timestamp with time zone`). */
  type: string;
  /** PostgreSQL's text output of the value; null for SQL NULL. */
  text: string | null;
}

export type DecodedAction = 'INSERT' | 'UPDATE' | 'DELETE';

export interface DecodedChange {
  lsn: string;
  schema: string;
  table: string;
  action: DecodedAction;
  /** INSERT and UPDATE: the new row; DELETE: the replica identity's columns (the key). */
  columns: DecodedColumn[];
}

export interface DecodedTransaction {
  xid: number;
  /** Commit time as the plugin prints it in the session's time zone (UTC in the tests). */
  commitTime: string;
  /** LSN of the commit record. */
  commitLsn: string;
  changes: DecodedChange[];
}

export interface SlotRow {
  lsn: string;
  data: string;
}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new Error(`test_decoding line, column ${this.pos + 1}: ${what}: ${this.text}`);
  }

  expect(literal: string): void {
    if (!this.text.startsWith(literal, this.pos)) this.fail(`expected "${literal}"`);
    this.pos += literal.length;
  }

  identifier(): string {
    if (this.text[this.pos] === '"') {
      let out = '';
      this.pos += 1;
      for (;;) {
        const end = this.text.indexOf('"', this.pos);
        if (end < 0) this.fail('unterminated quoted identifier');
        out += this.text.slice(this.pos, end);
        this.pos = end + 1;
        if (this.text[this.pos] !== '"') return out;
        out += '"';
        this.pos += 1;
      }
    }
    const match = /^[^\s.:[\]"]+/.exec(this.text.slice(this.pos));
    if (!match) this.fail('expected an identifier');
    this.pos += match[0].length;
    return match[0];
  }

  /** `[type]:` — the type may itself end in `[]` (arrays), so it runs up to the first `]:`. */
  typeName(): string {
    this.expect('[');
    const end = this.text.indexOf(']:', this.pos);
    if (end < 0) this.fail('unterminated type');
    const type = this.text.slice(this.pos, end);
    this.pos = end + 2;
    return type;
  }

  value(): string | null | 'unchanged-toast-datum' {
    if (this.text[this.pos] === "'") {
      let out = '';
      this.pos += 1;
      for (;;) {
        const end = this.text.indexOf("'", this.pos);
        if (end < 0) this.fail('unterminated literal');
        out += this.text.slice(this.pos, end);
        this.pos = end + 1;
        if (this.text[this.pos] !== "'") return out;
        out += "'";
        this.pos += 1;
      }
    }
    const end = this.text.indexOf(' ', this.pos);
    const token = this.text.slice(this.pos, end < 0 ? undefined : end);
    this.pos += token.length;
    if (token === 'null') return null;
    if (token === 'unchanged-toast-datum') return token;
    if (token === '') this.fail('expected a value');
    return token;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }
}

function parseTuple(cursor: Cursor, stopAt?: string): DecodedColumn[] {
  const columns: DecodedColumn[] = [];
  while (!cursor.atEnd()) {
    if (stopAt && cursor.text.startsWith(stopAt, cursor.pos)) break;
    const name = cursor.identifier();
    const type = cursor.typeName();
    const text = cursor.value();
    if (text === 'unchanged-toast-datum') {
      // A stand-in cannot know what Datastream does with a TOASTed value an UPDATE left unchanged.
      cursor.fail(`column ${name} is an unchanged TOASTed value; keep the workload's values small`);
    }
    columns.push({ name, type, text });
    if (!cursor.atEnd()) cursor.expect(' ');
  }
  return columns;
}

function parseChange(row: SlotRow): DecodedChange {
  const cursor = new Cursor(row.data);
  cursor.expect('table ');
  const schema = cursor.identifier();
  cursor.expect('.');
  const table = cursor.identifier();
  cursor.expect(': ');
  const action = /^(INSERT|UPDATE|DELETE): /.exec(row.data.slice(cursor.pos))?.[1] as DecodedAction;
  if (!action) cursor.fail('expected INSERT, UPDATE or DELETE');
  cursor.expect(`${action}: `);
  if (row.data.startsWith('(no-tuple-data)', cursor.pos)) {
    cursor.fail(`${action} without tuple data (the table has no replica identity)`);
  }
  if (action === 'UPDATE' && row.data.startsWith('old-key: ', cursor.pos)) {
    // The key changed: the old key is not part of the new row.
    cursor.expect('old-key: ');
    parseTuple(cursor, 'new-tuple: ');
    cursor.expect('new-tuple: ');
  }
  return { lsn: row.lsn, schema, table, action, columns: parseTuple(cursor) };
}

/** Groups the slot's rows into transactions, in commit order. */
export function parseTestDecoding(rows: readonly SlotRow[]): DecodedTransaction[] {
  const transactions: DecodedTransaction[] = [];
  let open: { xid: number; changes: DecodedChange[] } | undefined;
  for (const row of rows) {
    const begin = /^BEGIN (\d+)$/.exec(row.data);
    if (begin) {
      if (open) throw new Error(`test_decoding: BEGIN ${begin[1]} inside transaction ${open.xid}`);
      open = { xid: Number(begin[1]), changes: [] };
      continue;
    }
    const commit = /^COMMIT (\d+) \(at (.+)\)$/.exec(row.data);
    if (commit) {
      if (!open || open.xid !== Number(commit[1])) {
        throw new Error(`test_decoding: ${row.data} without its BEGIN`);
      }
      transactions.push({ ...open, commitTime: commit[2]!, commitLsn: row.lsn });
      open = undefined;
      continue;
    }
    if (!open) throw new Error(`test_decoding: a change outside a transaction: ${row.data}`);
    open.changes.push(parseChange(row));
  }
  if (open) throw new Error(`test_decoding: transaction ${open.xid} has no COMMIT`);
  return transactions;
}
