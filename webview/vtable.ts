/**
 * A virtualised, read-only table of a table the extension holds. Only the rows in view exist in the
 * DOM; rows come from the extension in blocks on demand (`getRows`) and a few blocks are cached, so a
 * 1,000,000-row answer scrolls as lightly as a 10-row one. Tall tables are scrolled through a
 * scaled spacer (browsers cap element heights near 33 million pixels).
 */
import type { TableInfo } from '../src/shared/panelMessages';
import { h } from './dom';

const ROW_H = 22;
const BLOCK = 200;
const MAX_CACHED_BLOCKS = 60;
/** Largest spacer height; beyond it the scroll position is scaled onto the rows. */
const MAX_SPACER_PX = 8_000_000;

type Row = readonly (string | null)[];

export class VirtualTable {
  readonly element: HTMLElement;
  private readonly header: HTMLElement;
  private readonly body: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly window: HTMLElement;
  private readonly footer: HTMLElement;
  private info: TableInfo | undefined;
  private readonly blocks = new Map<number, Row[]>();
  private readonly pending = new Set<number>();
  private rowEls: HTMLElement[] = [];
  private frame = 0;

  constructor(
    private readonly fetch: (tableId: string, start: number, count: number) => void,
    testId: string,
    /** Called when a cell is clicked (row and shown column, from 0). */
    private readonly onCell?: (tableId: string, row: number, column: number) => void,
  ) {
    this.header = h('div', { class: 'vt-header', role: 'row' });
    this.window = h('div', { class: 'vt-window', role: 'rowgroup' });
    this.spacer = h('div', { class: 'vt-spacer' });
    this.body = h('div', { class: 'vt-body', tabindex: 0, onscroll: () => { this.schedule(); } }, this.spacer, this.window);
    this.footer = h('div', { class: 'vt-footer' });
    this.element = h('div', { class: 'vt', role: 'table', 'data-testid': testId }, this.header, this.body, this.footer);
    this.window.addEventListener('click', (e) => {
      const cell = (e.target as HTMLElement | null)?.closest('.vt-cell');
      const row = cell?.parentElement;
      if (!cell || !row || !this.info || cell.classList.contains('vt-index')) return;
      const column = [...row.children].indexOf(cell) - 1;
      const r = Number(row.dataset['row']);
      if (column >= 0 && Number.isInteger(r)) this.onCell?.(this.info.tableId, r, column);
    });
    new ResizeObserver(() => { this.schedule(); }).observe(this.body);
  }

  get tableId(): string | undefined {
    return this.info?.tableId;
  }

  show(info: TableInfo): void {
    this.info = info;
    this.blocks.clear();
    this.pending.clear();
    const widths = info.columns.map((c) => columnWidth(c.name, c.datatype, c.shape));
    const indexWidth = 20 + 8 * String(Math.max(1, info.rows)).length;
    const template = `${indexWidth}px ${widths.map((w) => `${w}px`).join(' ')}`;
    this.header.style.gridTemplateColumns = template;
    this.window.style.setProperty('--vt-columns', template);
    this.header.replaceChildren(
      h('div', { class: 'vt-cell vt-index', role: 'columnheader' }, '#'),
      ...info.columns.map((c) =>
        h(
          'div',
          { class: 'vt-cell', role: 'columnheader', title: `${c.name}: ${c.datatype} ${c.shape}${c.nulls ? `, ${c.nulls} missing` : ''}` },
          h('span', { class: 'vt-name' }, c.name),
          h('span', { class: 'vt-type' }, c.shape.includes(',') ? `${c.datatype} ${c.shape}` : c.datatype),
        ),
      ),
    );
    const total = widths.reduce((a, b) => a + b, indexWidth);
    this.spacer.style.width = `${total}px`;
    this.spacer.style.height = `${Math.min(info.rows * ROW_H, MAX_SPACER_PX)}px`;
    this.footer.textContent = `${info.rows.toLocaleString('en-US')} row${info.rows === 1 ? '' : 's'} × ${info.columns.length} column${info.columns.length === 1 ? '' : 's'}`;
    this.body.scrollTop = 0;
    this.rowEls = [];
    this.window.replaceChildren();
    this.render();
  }

  /** Rows [start, start + rows.length) from the extension. */
  receive(tableId: string, start: number, rows: Row[]): void {
    if (tableId !== this.info?.tableId) return;
    const block = Math.floor(start / BLOCK);
    this.pending.delete(block);
    this.blocks.set(block, rows);
    while (this.blocks.size > MAX_CACHED_BLOCKS) {
      const oldest = this.blocks.keys().next().value;
      if (oldest === undefined) break;
      this.blocks.delete(oldest);
    }
    this.schedule();
  }

  clear(): void {
    this.info = undefined;
    this.blocks.clear();
    this.header.replaceChildren();
    this.window.replaceChildren();
    this.rowEls = [];
    this.spacer.style.height = '0px';
    this.footer.textContent = '';
  }

  /** The row index shown at the top of the view. */
  firstVisibleRow(): number {
    return this.firstRow(this.visibleCount());
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private visibleCount(): number {
    return Math.max(1, Math.ceil(this.body.clientHeight / ROW_H) + 1);
  }

  private firstRow(visible: number): number {
    const info = this.info;
    if (!info) return 0;
    const full = info.rows * ROW_H;
    if (full <= MAX_SPACER_PX) return Math.min(Math.floor(this.body.scrollTop / ROW_H), Math.max(0, info.rows - 1));
    const scrollable = Math.max(1, MAX_SPACER_PX - this.body.clientHeight);
    const fraction = Math.min(1, this.body.scrollTop / scrollable);
    return Math.round(fraction * Math.max(0, info.rows - visible + 1));
  }

  private render(): void {
    const info = this.info;
    if (!info) return;
    this.header.scrollLeft = this.body.scrollLeft;
    const visible = this.visibleCount();
    const first = this.firstRow(visible);
    const last = Math.min(info.rows, first + visible);
    const scaled = info.rows * ROW_H > MAX_SPACER_PX;
    this.window.style.transform = `translateY(${scaled ? this.body.scrollTop : first * ROW_H}px)`;
    this.request(first, last);
    while (this.rowEls.length < last - first) {
      const row = h('div', { class: 'vt-row', role: 'row' });
      row.style.gridTemplateColumns = 'var(--vt-columns)';
      this.rowEls.push(row);
      this.window.appendChild(row);
    }
    this.rowEls.forEach((el, i) => {
      const r = first + i;
      if (r >= last) {
        el.hidden = true;
        return;
      }
      el.hidden = false;
      el.dataset['row'] = String(r);
      const values = this.blocks.get(Math.floor(r / BLOCK))?.[r % BLOCK];
      const cells = info.columns.length + 1;
      if (el.childElementCount !== cells) {
        el.replaceChildren(...Array.from({ length: cells }, (_, c) => h('div', { class: c === 0 ? 'vt-cell vt-index' : 'vt-cell', role: 'cell' })));
      }
      const kids = el.children;
      // Rows are numbered from 1, as the input grid numbers them.
      (kids[0] as HTMLElement).textContent = String(r + 1);
      for (let c = 0; c < info.columns.length; c++) {
        const cell = kids[c + 1] as HTMLElement;
        const v = values ? values[c] : undefined;
        cell.textContent = v === undefined ? '…' : v ?? 'null';
        cell.classList.toggle('vt-null', v === null);
        cell.classList.toggle('vt-num', isNumeric(info.columns[c]?.datatype ?? ''));
        cell.title = v ?? '';
        cell.classList.toggle('vt-tensor', /^\[.*,/.test(info.columns[c]?.shape ?? '') && !/\]$/.test(info.columns[c]?.name ?? ''));
      }
    });
  }

  private request(first: number, last: number): void {
    const info = this.info;
    if (!info) return;
    const from = Math.floor(Math.max(0, first - BLOCK / 2) / BLOCK);
    const to = Math.floor(Math.min(info.rows - 1, last + BLOCK / 2) / BLOCK);
    for (let b = from; b <= to; b++) {
      if (this.blocks.has(b) || this.pending.has(b) || b * BLOCK >= info.rows) continue;
      this.pending.add(b);
      this.fetch(info.tableId, b * BLOCK, Math.min(BLOCK, info.rows - b * BLOCK));
    }
  }
}

function isNumeric(datatype: string): boolean {
  return /^(U?INT|FP)\d+$/.test(datatype);
}

function columnWidth(name: string, datatype: string, shape: string): number {
  const base = shape.includes(',') ? 220 : datatype === 'BYTES' ? 160 : datatype === 'BOOL' ? 80 : 120;
  return Math.min(420, Math.max(base, 16 + 7.5 * Math.max(name.length, datatype.length + 2)));
}
