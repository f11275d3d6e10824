import * as assert from 'assert';
import { CsvParseError, CsvParser } from '../../../src/tables/csvParse';

/** Parses `text` fed in pieces of `size` characters. */
function parse(text: string, size: number, delimiter = ','): string[][] {
  const p = new CsvParser(delimiter);
  const rows: string[][] = [];
  for (let i = 0; i < text.length; i += size) rows.push(...p.push(text.slice(i, i + size)));
  rows.push(...p.end());
  return rows;
}

const CASES: [string, string, string[][]][] = [
  ['plain rows', 'a,b\n1,2\n', [['a', 'b'], ['1', '2']]],
  ['no final line break', 'a,b\n1,2', [['a', 'b'], ['1', '2']]],
  ['CRLF and a lone CR', 'a,b\r\n1,2\r3,4\r\n', [['a', 'b'], ['1', '2'], ['3', '4']]],
  ['empty fields', ',\n1,\n,2\n', [['', ''], ['1', ''], ['', '2']]],
  ['trailing delimiter at the end', 'a,', [['a', '']]],
  ['quoted delimiter, quote and line break', '"a,b","say ""hi""","x\ny"\n', [['a,b', 'say "hi"', 'x\ny']]],
  ['an empty quoted field on its own line is a row', 'a\n""\nb\n', [['a'], [''], ['b']]],
  ['empty lines are skipped', '\n\na\n\r\n\nb\n\n', [['a'], ['b']]],
  ['quoted CRLF inside a field', '"1\r\n2",3\r\n', [['1\r\n2', '3']]],
  ['text after a closing quote stays in the field', '"a"b,c\n', [['ab', 'c']]],
  ['unicode', 'é,😀\n', [['é', '😀']]],
];

describe('CSV parser', () => {
  for (const [name, text, expected] of CASES) {
    it(`${name}, whatever the chunk size`, () => {
      for (const size of [1, 2, 3, 5, 1000]) assert.deepStrictEqual(parse(text, size), expected, `chunk size ${size}`);
    });
  }

  it('splits on another delimiter', () => {
    assert.deepStrictEqual(parse('a\tb,c\n1\t2\n', 4, '\t'), [['a', 'b,c'], ['1', '2']]);
  });

  it('refuses an unterminated quoted field at the end', () => {
    assert.throws(() => parse('a,"b\n1,2\n', 3), CsvParseError);
  });

  it('refuses a delimiter that cannot work', () => {
    assert.throws(() => new CsvParser('"'));
    assert.throws(() => new CsvParser(';;'));
  });
});
