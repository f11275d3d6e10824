/**
 * Tensor editors: one text box per input of a tensor model, holding a nested list (`[[1, 2], [3, 4]]`).
 * The shape and every element are checked as they are typed, against the declared dtype and shape.
 */
import type { SchemaField, TensorText } from '../src/shared/panelMessages';
import { concreteShape, formatShape, parseCell, parseNested, randomTensorText, rng, shapeProblem, type RandomRange } from '../src/shared/panelValues';
import { h } from './dom';

/** Elements checked live; a larger tensor is checked in full by the extension when sent. */
const LIVE_CHECK_LIMIT = 100_000;

interface Editor {
  readonly field: SchemaField;
  readonly text: HTMLTextAreaElement;
  readonly status: HTMLElement;
  ok: boolean;
}

export class TensorEditors {
  readonly element: HTMLElement;
  private editors: Editor[] = [];

  constructor(private readonly onChange: () => void) {
    this.element = h('div', { class: 'tensors', 'data-testid': 'tensors' });
  }

  setSchema(fields: readonly SchemaField[]): void {
    const previous = new Map(this.editors.map((e) => [e.field.name, e.text.value]));
    this.editors = fields.map((field) => {
      const text = h('textarea', { class: 'tensor-text', rows: 4, spellcheck: 'false', 'aria-label': `${field.name} values`, 'data-tensor': field.name });
      text.value = previous.get(field.name) ?? '';
      const status = h('div', { class: 'tensor-status' });
      const editor: Editor = { field, text, status, ok: false };
      text.addEventListener('input', () => {
        this.check(editor);
        this.onChange();
      });
      this.check(editor);
      return editor;
    });
    this.element.replaceChildren(
      ...this.editors.map((e) =>
        h('div', { class: 'tensor' }, h('label', {}, h('span', { class: 'vt-name' }, e.field.name), ' ', h('span', { class: 'vt-type' }, `${e.field.datatype} ${formatShape(e.field.shape)}`)), e.text, e.status),
      ),
    );
  }

  tensors(): TensorText[] {
    return this.editors.map((e) => ({ name: e.field.name, datatype: e.field.datatype, shape: [], text: e.text.value }));
  }

  get valid(): boolean {
    return this.editors.every((e) => e.ok);
  }

  /** Fills every tensor with random values (`rows` along a -1 first axis), within its range when one is known. */
  random(rows: number, ranges: Readonly<Record<string, RandomRange>> = {}, seed = Date.now()): void {
    const random = rng(seed);
    for (const e of this.editors) {
      e.text.value = randomTensorText(e.field.datatype, concreteShape(e.field.shape, rows), random, ranges[e.field.name]);
      this.check(e);
    }
    this.onChange();
  }

  setText(name: string, text: string): void {
    const e = this.editors.find((x) => x.field.name === name);
    if (!e) return;
    e.text.value = text;
    this.check(e);
    this.onChange();
  }

  private check(e: Editor): void {
    const nested = parseNested(e.text.value);
    let problem: string | undefined;
    let shape: number[] = [];
    if (!nested.ok) problem = nested.error;
    else {
      shape = nested.value.shape;
      problem = shapeProblem(e.field.shape, shape);
      if (!problem) {
        const items = nested.value.items;
        for (let i = 0; i < Math.min(items.length, LIVE_CHECK_LIMIT); i++) {
          const r = parseCell(e.field.datatype, items[i] ?? null);
          if (!r.ok) {
            problem = `element ${i}: ${r.error}`;
            break;
          }
          if (r.value === null) {
            problem = `element ${i} is missing; tensors cannot hold missing values`;
            break;
          }
        }
      }
    }
    e.ok = problem === undefined;
    e.status.textContent = problem ?? `shape ${formatShape(shape)} ✓`;
    e.status.classList.toggle('error', !e.ok);
    e.text.classList.toggle('invalid', !e.ok);
  }
}
