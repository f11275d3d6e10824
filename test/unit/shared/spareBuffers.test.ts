import * as assert from 'assert';
import { SpareBuffers } from '../../../src/shared/spareBuffers';

describe('spare buffers', () => {
  it('gives back buffers of the length asked for, new ones otherwise, and keeps no more than its total', () => {
    let made = 0;
    const spare = new SpareBuffers(16, (n) => {
      made++;
      return new ArrayBuffer(n);
    });
    const a = spare.take(8);
    const b = spare.take(8);
    spare.giveBack(a);
    spare.giveBack(b);
    spare.giveBack(new ArrayBuffer(4)); // over the 16 bytes kept: dropped
    assert.strictEqual(spare.take(4).byteLength, 4);
    assert.strictEqual(made, 3);
    const reused = [spare.take(8), spare.take(8)];
    assert.ok(reused.includes(a) && reused.includes(b));
    assert.strictEqual(made, 3);
    spare.giveBack(a);
    spare.clear();
    assert.notStrictEqual(spare.take(8), a);
    assert.strictEqual(made, 4);
  });
});
