/**
 * The shared value fixtures (test/fixtures/shared/values.json) against the extension's readers: the
 * runtime's readers run the same table in test/runtime/test_shared_fixtures.py, so the two cannot
 * drift apart.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { toV2Datatype } from '../../../src/model/dtypes';
import { arrowTypeOf } from '../../../src/protocol/arrowCodec';
import { columnFromText, columnFromValues, type AnyVector } from '../../../src/tables/columnBuilder';
import { InputError } from '../../../src/tables/errors';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

type Expected = { readonly value: unknown } | { readonly error: string };
type Case = { readonly dtype: string } & Expected & ({ readonly text: string } | { readonly json: unknown });

const fixtures = JSON.parse(fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'shared', 'values.json'), 'utf8')) as { csv: Case[]; jsonl: Case[] };
const origin = { column: 'c', rowStart: 0 };

/** A value as the fixtures write it: floats' nan/inf as text, integers as exact decimal text. */
function plain(v: unknown, dtype: string): unknown {
  if (v === null) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (v === Infinity) return 'inf';
    if (v === -Infinity) return '-inf';
    return dtype.startsWith('int') || dtype.startsWith('uint') ? String(v) : v;
  }
  return v;
}

function check(c: Case, read: () => AnyVector): void {
  const what = `${c.dtype} ${'text' in c ? JSON.stringify(c.text) : JSON.stringify(c.json)}`;
  if ('error' in c) {
    assert.throws(read, (e: unknown) => e instanceof InputError && e.message.includes(c.error), `${what} should be refused with '${c.error}'`);
    return;
  }
  const v = read();
  assert.strictEqual(v.length, 1, what);
  assert.deepStrictEqual(plain(v.get(0), c.dtype), c.value, what);
}

function typeOf(dtype: string): ReturnType<typeof arrowTypeOf> {
  const datatype = toV2Datatype(dtype);
  if (!datatype) throw new Error(`values.json: unknown dtype '${dtype}'`);
  return arrowTypeOf(datatype, dtype !== 'bytes');
}

describe('shared value fixtures (test/fixtures/shared/values.json), the extension side', () => {
  it('CSV fields read the same as in the runtime', () => {
    assert.ok(fixtures.csv.length > 40);
    for (const c of fixtures.csv) if ('text' in c) check(c, () => columnFromText([c.text], typeOf(c.dtype), origin));
  });

  it('JSON lines values read the same as in the runtime', () => {
    assert.ok(fixtures.jsonl.length > 20);
    for (const c of fixtures.jsonl) if ('json' in c) check(c, () => columnFromValues([c.json], typeOf(c.dtype), origin));
  });
});
