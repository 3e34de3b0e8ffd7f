// One 64-bit hash per row, computed the same way by PostgreSQL (in SQL) and by us: md5 of the row's
// column texts (column-forms.ts), each framed as `v<bytes>:<text>` or `n` for a null so no two rows
// share a text, its first 16 hex digits read as a signed bigint. Sums of these hashes (exact, as
// numeric in PostgreSQL and bigint here) with the row count fingerprint a key range: order-free, so
// neither side sorts, and for a table without a key the same sum fingerprints the multiset of rows.

import { createHash } from 'node:crypto';
import type { IcebergValue, Row } from '../iceberg/spec/values.js';
import type { ColumnForm } from './column-forms.js';

/** The row text our side hashes (exposed for the tests). */
export function rowText(forms: readonly ColumnForm[], row: Readonly<Row>): string {
  let out = '';
  for (const form of forms) {
    const value: IcebergValue = row[form.name] ?? null;
    if (value === null) out += 'n';
    else {
      const text = form.text(value);
      out += `v${Buffer.byteLength(text, 'utf8')}:${text}`;
    }
  }
  return out;
}

export function rowHash(forms: readonly ColumnForm[], row: Readonly<Row>): bigint {
  const hex = createHash('md5').update(rowText(forms, row), 'utf8').digest('hex');
  return BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`));
}

/** SQL of the same row text. */
export function rowTextSql(forms: readonly ColumnForm[]): string {
  const parts = forms.map((f) => `coalesce('v' || octet_length(${f.sql}) || ':' || ${f.sql}, 'n')`);
  return parts.length === 0 ? "''" : parts.join(' || ');
}

/** SQL of the same hash, a bigint. */
export function rowHashSql(forms: readonly ColumnForm[]): string {
  return `('x' || substr(md5(${rowTextSql(forms)}), 1, 16))::bit(64)::bigint`;
}
