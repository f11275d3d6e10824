import * as assert from 'assert';
import * as path from 'path';
import { DiskFileSystem } from '../../../src/server/core/fs';
import { buildFindings } from '../../../src/server/core/rules/build';
import { MANIFEST, tempFolder } from './helpers';

describe('build failures on the lines that caused them (PYML500, PYML501)', () => {
  const dir = tempFolder({
    'pyml.yaml': MANIFEST,
    'requirements.txt': '# deps\njoblib\nScikit_Learn==9.9.9\ntorch>=1.13\n',
    'packages.txt': 'libgomp1\nlibfoo-dev\n',
  });
  const files = new DiskFileSystem();
  const lines = (step: 'pip' | 'apt', log: string): string[] =>
    buildFindings(dir, files, { step, log }).map((f) => `${path.basename(f.file)}:${f.range.start.line + 1} ${f.code} ${f.message}`);

  it('a version pip cannot find lands on its requirement', () => {
    const log = [
      'Collecting joblib',
      '  Using cached joblib-1.3.2-py3-none-any.whl (302 kB)',
      'ERROR: Could not find a version that satisfies the requirement scikit-learn==9.9.9 (from versions: 1.2.1, 1.3.0)',
      'ERROR: No matching distribution found for scikit-learn==9.9.9',
    ].join('\n');
    assert.deepStrictEqual(lines('pip', log), [
      'requirements.txt:3 PYML500 pip found no version of scikit-learn==9.9.9',
    ]);
  });

  it('without network, says so', () => {
    const log = "WARNING: Retrying (Retry(total=4)) after connection broken by 'NewConnectionError(...)': /simple/torch/\nERROR: Could not find a version that satisfies the requirement torch>=1.13 (from versions: none)\n";
    assert.match(lines('pip', log)[0] ?? '', /requirements\.txt:4 PYML500 .*no network access/);
  });

  it('a failed wheel build lands on the package being built', () => {
    const log = 'Collecting torch>=1.13\n  error: subprocess-exited-with-error\n  × Getting requirements to build wheel did not run successfully.\n';
    assert.deepStrictEqual(lines('pip', log), ['requirements.txt:4 PYML500 pip failed while installing torch>=1.13 (a build step exited with an error)']);
  });

  it('an unknown Debian package lands on its packages.txt line', () => {
    const log = 'Reading package lists...\nBuilding dependency tree...\nE: Unable to locate package libfoo-dev\n';
    assert.deepStrictEqual(lines('apt', log), ["packages.txt:2 PYML501 apt-get: no package named 'libfoo-dev' in the base image's package lists"]);
  });

  it('a failure that names no line goes on the first line, never lost', () => {
    assert.deepStrictEqual(lines('apt', 'E: Failed to fetch http://deb.debian.org/debian/pool/x.deb  Temporary failure resolving\n'), [
      'packages.txt:1 PYML501 apt-get: Failed to fetch http://deb.debian.org/debian/pool/x.deb  Temporary failure resolving',
    ]);
    assert.deepStrictEqual(lines('pip', 'something odd happened\n'), ['requirements.txt:1 PYML500 pip install failed; see the build log']);
  });
});
