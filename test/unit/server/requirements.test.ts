import * as assert from 'assert';
import { normalizeName, parseRequirements } from '../../../src/server/core/requirements';

describe('requirements.txt parser', () => {
  const kinds = (text: string): string[] =>
    parseRequirements(text).map((e) => {
      switch (e.kind) {
        case 'requirement':
          return `req ${e.normalized}`;
        case 'option':
          return `opt ${e.option} ${e.value}${e.name !== undefined ? ` (${e.name})` : ''}`;
        case 'url':
          return `url${e.name !== undefined ? ` (${e.name})` : ''}`;
        case 'invalid':
          return `invalid: ${e.message}`;
        case 'unknown-option':
          return `unknown ${e.option}`;
      }
    });

  it('reads names, extras, specifiers, markers, URLs and hashes', () => {
    assert.deepStrictEqual(
      kinds(
        [
          'Scikit_Learn[alldeps]>=1.2,<2 ; python_version >= "3.9"  # comment',
          'numpy==1.24.* --hash=sha256:abc',
          'torch @ https://example.com/torch-1.13.1-cp311-cp311-linux_x86_64.whl',
          'https://example.com/pkgs/mylib-0.1.0.tar.gz',
          './vendor/other_lib-2.0-py3-none-any.whl',
          'git+https://github.com/x/y.git#egg=ylib',
          '-e ./local/featurekit',
          '-r extra.txt',
          '--index-url=https://example.com/simple',
          'requests \\',
          '    >=2.31',
          '',
          '# only a comment',
        ].join('\n'),
      ),
      [
        'req scikit-learn',
        'req numpy',
        'req torch',
        'url (mylib)',
        'url (other_lib)',
        'url (ylib)',
        'opt --editable ./local/featurekit (featurekit)',
        'opt --requirement extra.txt',
        'opt --index-url https://example.com/simple',
        'req requests',
      ],
    );
  });

  it('explains the usual mistakes', () => {
    assert.deepStrictEqual(kinds('numpy=1.2\npandas 1.5\npip install x\nfoo>=\nbar~=1.*\n--nope\n-r\n'), [
      "invalid: 'numpy=1.2': use '==' to pin a version: 'numpy==1.2'",
      "invalid: 'pandas 1.5': a version needs an operator, e.g. 'pandas==1.5'",
      'invalid: requirements.txt lists packages, not commands: write the package names alone, one a line',
      "invalid: 'foo>=': '>=' needs a version",
      "invalid: 'bar~=1.*': '.*' is only allowed with '==' and '!='",
      'unknown --nope',
      "invalid: '-r' needs a value",
    ]);
  });

  it('normalises names like pip (PEP 503)', () => {
    assert.strictEqual(normalizeName('Scikit_Learn'), 'scikit-learn');
    assert.strictEqual(normalizeName('ruamel.yaml'), 'ruamel-yaml');
  });
});
