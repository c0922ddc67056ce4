/**
 * The library must bundle for browsers: outside the CLI, Node built-ins are only imported lazily
 * (`await import('node:…')` behind an is-Node check), never statically.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const srcDir = fileURLToPath(new URL('../src', import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no static Node built-in imports outside src/cli', () => {
  const offenders = tsFiles(srcDir)
    .filter((f) => !relative(srcDir, f).startsWith('cli'))
    .filter((f) => /^\s*import\s[^;]*from\s+['"]node:/m.test(readFileSync(f, 'utf8')))
    .map((f) => relative(srcDir, f));
  assert.deepEqual(offenders, []);
});
