import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main.ts';

test('main() can run more than once in a process and returns exit codes instead of exiting', async () => {
  const errs: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as unknown as { write: (s: string) => boolean }).write = (s: string) => { errs.push(String(s)); return true; };
  try {
    assert.equal(await main(['node', 'keras-import', 'summary', '/nonexistent/model.h5']), 1);
    assert.equal(await main(['node', 'keras-import', 'summary', '/nonexistent/model.h5']), 1);
    assert.equal(await main(['node', 'keras-import', 'no-such-command']), 1);
  } finally {
    (process.stderr as unknown as { write: typeof orig }).write = orig;
  }
  assert.ok(errs.some((e) => /\/nonexistent\/model\.h5/.test(e)), errs.join(''));
  assert.ok(!errs.some((e) => /^\s+at /m.test(e)), 'no stack trace without --verbose');
});
