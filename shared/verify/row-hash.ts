// One 64-bit hash per row, computed the same way by PostgreSQL (in SQL) and by us: PostgreSQL's
// hashtextextended(text, 0) (pg-hash.ts) of the row's column texts (column-forms.ts) joined by tabs, a
// null written \N, and in a text that may hold anything a backslash doubled and a tab written \t, so
// no two rows share a text. Sums of these hashes (exact, as numeric in PostgreSQL and bigint here) with
// the row count fingerprint a key range: order-free, so neither side sorts, and for a table without a
// key the same sum fingerprints the multiset of rows.

import type { IcebergValue, Row } from '../iceberg/spec/values.js';
import type { ColumnForm } from './column-forms.js';
import { hashTextExtended } from './pg-hash.js';

const NULL_TEXT = '\\N';

function escaped(text: string): string {
  return text.includes('\\') || text.includes('\t')
    ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t')
    : text;
}

/** The row text our side hashes (exposed for the tests). */
export function rowText(forms: readonly ColumnForm[], row: Readonly<Row>): string {
  let out = '';
  for (let i = 0; i < forms.length; i++) {
    const form = forms[i]!;
    const value: IcebergValue = row[form.name] ?? null;
    if (i > 0) out += '\t';
    if (value === null) out += NULL_TEXT;
    else out += form.raw ? escaped(form.text(value)) : form.text(value);
  }
  return out;
}

export function rowHash(forms: readonly ColumnForm[], row: Readonly<Row>): bigint {
  return hashTextExtended(rowText(forms, row));
}

/** SQL of the same row text (each column's expression evaluated once). */
export function rowTextSql(forms: readonly ColumnForm[]): string {
  if (forms.length === 0) return "''";
  const parts = forms.map((f) =>
    f.raw
      ? `coalesce(replace(replace(${f.sql}, '\\', '\\\\'), E'\\t', '\\t'), '${NULL_TEXT}')`
      : `coalesce(${f.sql}, '${NULL_TEXT}')`,
  );
  return parts.join(" || E'\\t' || ");
}

/** SQL of the same hash, a bigint (the bytes of the text hashed: COLLATE "C"). */
export function rowHashSql(forms: readonly ColumnForm[]): string {
  return `hashtextextended((${rowTextSql(forms)}) COLLATE "C", 0)`;
}
