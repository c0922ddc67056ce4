/**
 * docs/layers.md (written by scripts/gen-layer-docs.ts) must not drift from the code: the classes it
 * lists as supported are exactly the registered ones, nothing it lists as unsupported is registered,
 * and every fixture it cites as evidence exists and really contains the class. Pass/fail status of
 * the cases is not re-run here (the judges do that); regenerate the doc when they change.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registeredClassNames } from '../src/layers/index.ts';
import { opKey } from '../src/layers/ops.ts';
import { listLayerCases } from './helpers/layer-fixtures.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const doc = readFileSync(join(root, 'docs/layers.md'), 'utf8');
const REGEN = 'regenerate it: node --import tsx scripts/gen-layer-docs.ts';

function section(name: string): string {
  const m = new RegExp(`<!-- ${name}:start -->([\\s\\S]*?)<!-- ${name}:end -->`).exec(doc);
  assert.ok(m, `docs/layers.md has no ${name} section`);
  return m[1];
}
/** Table rows whose first cell is a `Name`: the cells, trimmed. */
function rows(text: string): string[][] {
  return text.split('\n').filter((l) => /^\| `[^`]+` \|/.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}
const name = (cell: string) => /^`([^`]+)`$/.exec(cell)![1];
/** Case names cited in a fixtures cell, with their status mark ('' when it passes). */
function cited(cell: string): { name: string; mark: string }[] {
  // '(.keras only)' says which formats exist, not how the case fares
  return [...cell.matchAll(/`(\w+)`((?: \([^)]*\))*)/g)].map((m) => ({ name: m[1], mark: m[2].replace(/ \(\.keras only\)/, '').trim() }));
}

const registered = registeredClassNames();
const regLayers = registered.filter((n) => !n.startsWith('op:'));
const regOps = registered.filter((n) => n.startsWith('op:')).map((n) => n.slice(3));
const supported = rows(section('supported'));
const rejectOnly = rows(section('reject-only'));
const ops = rows(section('ops'));
const unsupported = rows(section('unsupported'));
const cases = new Map(listLayerCases().map((c) => [c.name, c]));
/** Whether a manifest case records the registry class `cls` ('ops.Absolute' counts for op:abs). */
const caseHas = (caseName: string, cls: string) =>
  (cases.get(caseName)?.classes ?? []).some((k) => k === cls || (k.startsWith('ops.') && cls.startsWith('op:') && `op:${opKey(k.slice(4))}` === cls));

describe('docs/layers.md matches the layer registry', () => {
  test('every registered layer class is listed once, as supported or as reject-only', () => {
    const listed = [...supported, ...rejectOnly].map((r) => name(r[0]));
    assert.equal(new Set(listed).size, listed.length, 'a class is listed twice');
    assert.deepEqual([...listed].sort(), [...regLayers].sort(), `the doc's classes differ from registeredClassNames(); ${REGEN}`);
  });

  test('every op-table entry is listed, and nothing else', () => {
    assert.deepEqual(ops.map((r) => name(r[0])).sort(), [...regOps].sort(), `the doc's op table differs from the registry; ${REGEN}`);
  });

  test('no class listed as unsupported is registered', () => {
    assert.ok(unsupported.length > 0, 'the unsupported table is empty');
    const wrong = unsupported.map((r) => name(r[0])).filter((c) => registered.includes(c));
    assert.deepEqual(wrong, [], `listed as unsupported but registered; ${REGEN}`);
  });

  test('the summary counts agree with the tables', () => {
    const m = /\*\*(\d+)\*\* registered layer classes; \*\*(\d+)\*\* of them verified/.exec(doc);
    assert.ok(m, 'summary line missing');
    assert.equal(Number(m[1]), supported.length);
    assert.equal(Number(m[2]), supported.filter((r) => r[1] !== 'none').length);
    assert.match(doc, new RegExp(`Keras 3 op table: \\*\\*${regOps.length}\\*\\* ops`));
  });
});

describe('docs/layers.md cites real fixtures', () => {
  test('every cited per-layer fixture exists in the manifest and contains the class', () => {
    const bad: string[] = [];
    for (const [r, key] of [...supported.map((r) => [r, name(r[0])] as const), ...ops.map((r) => [r, `op:${name(r[0])}`] as const)]) {
      // column 2 is the fixtures column in both tables
      for (const c of cited(r[2])) if (!cases.has(c.name) || !caseHas(c.name, key)) bad.push(`${key}: ${c.name}`);
    }
    assert.deepEqual(bad, [], 'fixtures cited for a class that they do not contain');
  });

  test("'fixture' proof names at least one passing case that contains the class", () => {
    const bad = supported.filter((r) => r[1] === 'fixture' && !cited(r[2]).some((c) => c.mark === '' && caseHas(c.name, name(r[0])))).map((r) => name(r[0]));
    assert.deepEqual(bad, []);
  });

  test("'recurrent-fixture' proof refers to a recurrent fixture of that class", () => {
    const rec = ['recurrent.json', 'wrappers.json', 'attention.json'].flatMap((f) =>
      (JSON.parse(readFileSync(join(root, 'test/fixtures/recurrent', f), 'utf8')).cases as { className: string; inner?: { className: string }[] }[]));
    const classes = new Set(rec.flatMap((c) => [c.className, ...(c.inner ?? []).map((i) => i.className)]));
    const bad = supported.filter((r) => r[1] === 'recurrent-fixture' || r[3] !== '—').map((r) => name(r[0])).filter((c) => !classes.has(c));
    assert.deepEqual(bad, []);
  });

  test('proof values are from the documented set', () => {
    for (const r of supported) assert.ok(['fixture', 'recurrent-fixture', 'corpus', 'none'].includes(r[1]), `${r[0]}: proof '${r[1]}'`);
  });
});
