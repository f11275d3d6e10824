/**
 * The DataFrame editor: one column per input of the schema, typed by it. Cells are checked as they
 * are typed (the same rules the extension applies again); rows can be added and removed; CSV or TSV
 * pasted into a cell fills the grid from there (a header row that names the columns maps them).
 * Ctrl+Backspace (Cmd+Backspace) makes a cell missing, which a text column otherwise cannot express.
 */
import type { GridColumn, SchemaField } from '../src/shared/panelMessages';
import { isHeaderRow, parseCell, parseDelimited, randomCell, rng, type RandomRange } from '../src/shared/panelValues';
import { h } from './dom';

/** Rows the grid draws; more rows are kept and sent but not drawn (large inputs come from files). */
const MAX_DRAWN_ROWS = 500;

export class Grid {
  readonly element: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly note: HTMLElement;
  private fields: SchemaField[] = [];
  /** rows[r][c]: the cell's text, null = missing. */
  private rows: (string | null)[][] = [];
  private selected = -1;

  constructor(private readonly onChange: () => void) {
    this.table = h('table', { class: 'grid', 'data-testid': 'grid' });
    this.note = h('div', { class: 'grid-note' });
    this.element = h('div', { class: 'grid-wrap' }, this.table, this.note);
  }

  setSchema(fields: readonly SchemaField[]): void {
    const same = fields.length === this.fields.length && fields.every((f, i) => f.name === this.fields[i]?.name && f.datatype === this.fields[i].datatype);
    this.fields = [...fields];
    if (!same) this.rows = [this.emptyRow()];
    this.render();
  }

  /** Rows as the extension takes them. */
  columns(): GridColumn[] {
    return this.fields.map((f, c) => ({ name: f.name, cells: this.rows.map((r) => r[c] ?? null) }));
  }

  get rowCount(): number {
    return this.rows.length;
  }

  /** Number of cells that do not pass their column's rules. */
  invalidCells(): number {
    let n = 0;
    for (const row of this.rows) this.fields.forEach((f, c) => (n += parseCell(f.datatype, row[c] ?? null).ok ? 0 : 1));
    return n;
  }

  setColumns(columns: readonly GridColumn[]): void {
    const count = Math.max(0, ...columns.map((c) => c.cells.length));
    this.rows = Array.from({ length: count }, (_, r) => this.fields.map((f) => columns.find((c) => c.name === f.name)?.cells[r] ?? null));
    if (this.rows.length === 0) this.rows = [this.emptyRow()];
    this.render();
    this.onChange();
  }

  addRow(): void {
    this.rows.splice(this.selected >= 0 ? this.selected + 1 : this.rows.length, 0, this.emptyRow());
    this.render();
    this.onChange();
  }

  removeRow(): void {
    if (this.rows.length === 0) return;
    const at = this.selected >= 0 && this.selected < this.rows.length ? this.selected : this.rows.length - 1;
    this.rows.splice(at, 1);
    if (this.rows.length === 0) this.rows = [this.emptyRow()];
    this.selected = Math.min(at, this.rows.length - 1);
    this.render();
    this.onChange();
  }

  /** Fills the grid with `count` random rows, each column within its range when one is known. */
  random(count: number, ranges: Readonly<Record<string, RandomRange>> = {}, seed = Date.now()): void {
    const random = rng(seed);
    this.rows = Array.from({ length: count }, () => this.fields.map((f) => randomCell(f.datatype, random, ranges[f.name])));
    this.render();
    this.onChange();
  }

  private emptyRow(): (string | null)[] {
    return this.fields.map((f) => (f.datatype === 'BYTES' ? '' : null));
  }

  private render(): void {
    const head = h(
      'tr',
      {},
      h('th', { class: 'grid-index' }, '#'),
      ...this.fields.map((f) => h('th', { title: `${f.name}: ${f.datatype}${f.text ? ' (text)' : ''}` }, h('span', { class: 'vt-name' }, f.name), h('span', { class: 'vt-type' }, f.text ? 'string' : f.datatype))),
    );
    const body = h('tbody');
    const drawn = Math.min(this.rows.length, MAX_DRAWN_ROWS);
    for (let r = 0; r < drawn; r++) body.appendChild(this.renderRow(r));
    this.table.replaceChildren(h('thead', {}, head), body);
    this.note.textContent = this.rows.length > drawn ? `${this.rows.length.toLocaleString('en-US')} rows; the first ${drawn} are shown and all are sent.` : '';
  }

  private renderRow(r: number): HTMLElement {
    const row = this.rows[r] ?? [];
    const tr = h('tr', { 'data-row': r, class: r === this.selected ? 'selected' : '' });
    tr.appendChild(h('td', { class: 'grid-index', onclick: () => { this.select(r); } }, String(r + 1)));
    this.fields.forEach((f, c) => {
      const input = h('input', {
        class: 'grid-cell',
        'data-col': f.name,
        'aria-label': `${f.name} row ${r + 1}`,
        spellcheck: 'false',
      });
      this.show(input, f, row[c] ?? null);
      input.addEventListener('focus', () => { this.select(r, false); });
      input.addEventListener('input', () => {
        const target = this.rows[r];
        if (!target) return;
        target[c] = input.value;
        this.show(input, f, input.value, false);
        this.onChange();
      });
      input.addEventListener('keydown', (e) => { this.key(e, r, c, input); });
      input.addEventListener('paste', (e) => { this.paste(e, r, c); });
      tr.appendChild(h('td', {}, input));
    });
    return tr;
  }

  /** Shows a cell's value and whether it passes its column's rules. */
  private show(input: HTMLInputElement, f: SchemaField, value: string | null, setValue = true): void {
    if (setValue) input.value = value ?? '';
    input.placeholder = value === null ? 'missing' : '';
    input.classList.toggle('missing', value === null);
    const r = parseCell(f.datatype, value);
    input.classList.toggle('invalid', !r.ok);
    input.title = r.ok ? (value === null ? 'missing value' : '') : r.error;
    input.setAttribute('aria-invalid', r.ok ? 'false' : 'true');
  }

  private select(r: number, redraw = true): void {
    this.selected = r;
    if (!redraw) {
      this.table.querySelectorAll('tr.selected').forEach((e) => { e.classList.remove('selected'); });
      this.table.querySelector(`tr[data-row="${r}"]`)?.classList.add('selected');
      return;
    }
    this.render();
  }

  private key(e: KeyboardEvent, r: number, c: number, input: HTMLInputElement): void {
    if (e.key === 'Backspace' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      const row = this.rows[r];
      const f = this.fields[c];
      if (!row || !f) return;
      row[c] = null;
      this.show(input, f, null);
      this.onChange();
    } else if (e.key === 'Enter' || e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const next = r + (e.key === 'ArrowUp' ? -1 : 1);
      if (e.key === 'Enter' && next >= this.rows.length) this.addRow();
      this.focus(next, c);
      e.preventDefault();
    }
  }

  private focus(r: number, c: number): void {
    const name = this.fields[c]?.name ?? '';
    const cell = this.table.querySelector<HTMLInputElement>(`tr[data-row="${r}"] input[data-col="${CSS.escape(name)}"]`);
    cell?.focus();
    cell?.select();
  }

  /** Pasted CSV/TSV with several cells fills the grid from the focused cell. */
  private paste(e: ClipboardEvent, r: number, c: number): void {
    const text = e.clipboardData?.getData('text/plain') ?? '';
    if (!/[\t\n,;]/.test(text.trim())) return; // one value: the input takes it as usual
    e.preventDefault();
    let rows = parseDelimited(text);
    const names = this.fields.map((f) => f.name);
    let mapping = names.map((_, i) => i - c); // grid column -> pasted column
    const first = rows[0];
    if (first && isHeaderRow(first, names)) {
      const header = first.map((x) => x.trim());
      mapping = names.map((n) => header.indexOf(n));
      rows = rows.slice(1);
    }
    rows.forEach((cells, i) => {
      const target = r + i;
      while (this.rows.length <= target) this.rows.push(this.emptyRow());
      const row = this.rows[target];
      if (!row) return;
      mapping.forEach((from, col) => {
        if (from >= 0 && from < cells.length) row[col] = cells[from] ?? '';
      });
    });
    this.render();
    this.onChange();
  }
}
