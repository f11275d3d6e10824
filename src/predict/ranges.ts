/**
 * The ranges random inputs are drawn from: for each input of a sample, the smallest and largest
 * number it holds (every element of a tensor), or the texts it holds. A random DataFrame then has
 * plausible centimetres, and a random image pixels in the sample's 0..16 or 0..1.
 */
import { flatten, type Sample } from '../scaffold/sample';
import type { ValueRange } from '../shared/panelMessages';

/** Texts kept per input (a random text is one of them). */
const MAX_TEXTS = 50;

export function sampleRanges(sample: Sample): Record<string, ValueRange> {
  const out: Record<string, ValueRange> = {};
  for (const [name, value] of Object.entries(sample.inputs)) {
    let min = Infinity;
    let max = -Infinity;
    const texts = new Set<string>();
    for (const v of flatten(value)) {
      if (typeof v === 'number' && Number.isFinite(v)) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      } else if (typeof v === 'string' && v !== 'NaN' && v !== 'Infinity' && v !== '-Infinity' && texts.size < MAX_TEXTS) {
        texts.add(v.slice(0, 1000));
      }
    }
    out[name] = {
      ...(min <= max ? { min, max } : {}),
      ...(texts.size > 0 ? { values: [...texts] } : {}),
    };
  }
  return out;
}
