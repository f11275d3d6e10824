import * as assert from 'assert';
import { DATAFRAME_ATTRIBUTES, isStdlib } from '../../../src/server/core/packages';

/** The language server's API knowledge holds for both tested stacks (Debian 12 and Debian 13). */
describe('packages data: Python 3.11 / 3.13, pandas 1.5 / 2.2', () => {
  it('knows standard library modules of both Pythons', () => {
    for (const m of ['os', 'json', 'tomllib', 'asyncio.tasks', '__future__']) assert.ok(isStdlib(m), m);
    // removed in 3.12/3.13 but standard on 3.11, and new private modules of 3.13
    for (const m of ['imp', 'distutils.core', 'telnetlib', '_pyrepl']) assert.ok(isStdlib(m), m);
    for (const m of ['numpy', 'sklearn', 'torch', 'yaml']) assert.ok(!isStdlib(m), m);
  });

  it('takes DataFrame attributes of pandas 1.5 and 2.2 as attributes, not columns', () => {
    for (const a of ['loc', 'iloc', 'to_numpy', 'astype', 'map', 'iteritems', 'append', 'applymap']) assert.ok(DATAFRAME_ATTRIBUTES.has(a), a);
    assert.ok(!DATAFRAME_ATTRIBUTES.has('price'));
  });
});
