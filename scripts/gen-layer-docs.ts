/**
 * Writes docs/layers.md: every Keras layer class the registry builds, the evidence that it matches
 * real Keras, and the classes we do not build with the reason. Run from the repository root:
 *
 *   node --import tsx scripts/gen-layer-docs.ts
 *
 * Evidence is measured, not claimed: the script runs the three judges (per-layer Keras 3.15 fixtures,
 * recurrent/attention/wrapper fixtures, corpus prediction cases) with the TAP reporter and counts a
 * class as verified only where a case exercising it passes. It needs the shared corpus
 * (../shared/keras-corpus or KERAS_CORPUS) for the Keras 1.x/2.x evidence and refuses to run without it.
 * test/docs-layers.test.ts keeps the result honest: registry and doc must list the same classes.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rel = (p: string) => relative(root, p);

// ---------------------------------------------------------------- registry, by family module
const registry = await import(pathToFileURL(join(root, 'src/layers/registry.ts')).href) as typeof import('../src/layers/registry.ts');
const familyOf = new Map<string, string>();
const familyFiles: string[] = [];
{
  // Import the family modules one by one in index.ts order; what each adds is that family's classes.
  const index = readFileSync(join(root, 'src/layers/index.ts'), 'utf8');
  for (const m of index.matchAll(/^import '\.\/([\w-]+)\.ts';$/gm)) {
    const file = `src/layers/${m[1]}.ts`;
    await import(pathToFileURL(join(root, file)).href);
    familyFiles.push(file);
    for (const n of registry.registeredClassNames()) if (!familyOf.has(n)) familyOf.set(n, file);
  }
}
await import(pathToFileURL(join(root, 'src/layers/index.ts')).href);
/**
 * Registered only so that the import fails with a precise message: the builder always throws.
 * (Keras 1 `Merge` modes with a Keras 2 layer are converted by the normalizer before this point.)
 */
const REJECT_ONLY: Record<string, string> = {
  Merge: 'Keras 1 `Merge` whose mode is a Python function (lambda): `UnsupportedLayerError`, supply it with `registerLambdaLayer`. Merge modes sum/mul/concat/ave/max/dot/cos are converted to the Keras 2 merge layers by `src/spec/normalize-keras1.ts`.',
};
for (const c of Object.keys(REJECT_ONLY)) if (!registry.registeredClassNames().includes(c)) throw new Error(`REJECT_ONLY lists ${c}, which is no longer registered: update scripts/gen-layer-docs.ts`);

const allNames = registry.registeredClassNames();
const layerClasses = allNames.filter((n) => !n.startsWith('op:') && !(n in REJECT_ONLY));
const opEntries = allNames.filter((n) => n.startsWith('op:')).map((n) => n.slice(3));
for (const n of layerClasses) if (!familyOf.has(n)) familyOf.set(n, 'src/layers/index.ts');

const { opKey } = await import(pathToFileURL(join(root, 'src/layers/ops.ts')).href) as typeof import('../src/layers/ops.ts');
const { KERAS1_CLASS_RENAMES } = await import(pathToFileURL(join(root, 'src/spec/normalize-keras1.ts')).href) as typeof import('../src/spec/normalize-keras1.ts');
const { unsupportedLayerError } = await import(pathToFileURL(join(root, 'src/layers/custom.ts')).href) as typeof import('../src/layers/custom.ts');

/** Op-table aliases (TF / tf.keras names), read from the ALIASES table in ops.ts. */
const opAliases = new Map<string, string[]>();
{
  const src = readFileSync(join(root, 'src/layers/ops.ts'), 'utf8');
  const block = /const ALIASES[^{]*\{([\s\S]*?)\n\};/.exec(src)?.[1] ?? '';
  for (const m of block.matchAll(/(\w+): '(\w+)'/g)) opAliases.set(m[2], [...(opAliases.get(m[2]) ?? []), m[1]]);
}

/** Classes the graph builder (src/model/build.ts) handles itself; never in the layer registry. */
const STRUCTURAL: Record<string, string> = {
  InputLayer: 'model inputs (src/model/build.ts)',
  Sequential: 'model container; nested Sequential models are built as sub-models',
  Functional: 'Keras 3 functional model container; nested models are built as sub-models',
  Model: 'Keras 1/2 functional model container; nested models are built as sub-models',
};

// ---------------------------------------------------------------- running the judges
interface TapResult { path: string[]; status: 'ok' | 'fail' | 'skip' | 'todo' }

/** Runs one test file with the TAP reporter and returns every leaf test with its enclosing suites. */
function runTap(file: string): TapResult[] {
  process.stderr.write(`running ${file} …\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', file], { cwd: root, encoding: 'utf8', maxBuffer: 256 << 20 });
  const out: TapResult[] = [];
  // Children are reported before their parent, one indentation level (4 spaces) deeper.
  const pending: { depth: number; name: string; status: TapResult['status']; children: TapResult[] }[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^(\s*)(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    const status: TapResult['status'] = m[4] === 'SKIP' ? 'skip' : m[4] === 'TODO' ? 'todo' : m[2] === 'ok' ? 'ok' : 'fail';
    const children: TapResult[] = [];
    while (pending.length && pending[pending.length - 1].depth > depth) {
      const c = pending.pop()!;
      if (c.children.length === 0) children.unshift({ path: [c.name], status: c.status });
      else children.unshift(...c.children);
    }
    pending.push({ depth, name: m[3], status, children: children.map((c) => ({ ...c, path: [m[3], ...c.path] })) });
  }
  for (const c of pending) {
    if (c.children.length === 0) out.push({ path: [c.name], status: c.status });
    else out.push(...c.children);
  }
  if (out.length === 0) throw new Error(`${file}: no TAP results (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return out;
}

// Per-layer Keras 3.15 fixtures: status per case on each backend (either format may pass).
interface ManifestCase { name: string; family: string; classes: string[]; files: { keras: string; h5: string | null } }
const manifest = JSON.parse(readFileSync(join(root, 'test/fixtures/layers/manifest.json'), 'utf8')) as { keras_version: string; cases: ManifestCase[] };
const judgeFile = 'test/layers/layer-fixtures.test.ts';
const judgeSrc = readFileSync(join(root, judgeFile), 'utf8');
const rejected = new Map<string, string>();
for (const m of (/const REJECTED[^{]*\{([\s\S]*?)\n\};/.exec(judgeSrc)?.[1] ?? '').matchAll(/(\w+): \/(.*)\/,?/g)) rejected.set(m[1], m[2].replace(/\\(.)/g, '$1'));

type CaseStatus = 'pass' | 'cpu-only' | 'fail' | 'skip' | 'rejected';
const caseStatus = new Map<string, CaseStatus>();
{
  const res = runTap(judgeFile);
  for (const c of manifest.cases) {
    const on = (backend: string) => res.filter((r) => r.path.includes(backend) && /^(.*)\.(keras|h5)$/.exec(r.path[r.path.length - 1])?.[1] === c.name);
    const okOn = (backend: string) => on(backend).some((r) => r.status === 'ok') && !on(backend).some((r) => r.status === 'fail');
    let s: CaseStatus;
    if (rejected.has(c.name)) s = 'rejected';
    else if (okOn('wasm') && okOn('cpu')) s = 'pass';
    else if (okOn('cpu')) s = 'cpu-only';
    else if ([...on('wasm'), ...on('cpu')].every((r) => r.status === 'skip')) s = 'skip';
    else s = 'fail';
    caseStatus.set(c.name, s);
  }
}

/** Registry key for a class name as the manifest records it ('ops.Absolute' → 'op:abs'). */
function registryKey(manifestClass: string): string {
  if (manifestClass.startsWith('ops.')) { const k = opKey(manifestClass.slice(4)); return k ? `op:${k}` : manifestClass; }
  return manifestClass;
}
const casesFor = new Map<string, ManifestCase[]>();
for (const c of manifest.cases) for (const cl of c.classes) {
  const k = registryKey(cl);
  casesFor.set(k, [...(casesFor.get(k) ?? []), c]);
}

// Recurrent / wrapper / attention fixtures (Keras 3.15, eager and in-model, cpu and wasm).
interface RecCase { name: string; className: string; inner?: { className: string }[] }
const recFiles = [['recurrent.json', 'test/layers/recurrent.test.ts'], ['wrappers.json', 'test/layers/wrappers.test.ts'], ['attention.json', 'test/layers/attention.test.ts']] as const;
const recFor = new Map<string, { name: string; file: string; ok: boolean }[]>();
let recKeras = '';
for (const [json, testFile] of recFiles) {
  const d = JSON.parse(readFileSync(join(root, 'test/fixtures/recurrent', json), 'utf8')) as { keras: string; cases: RecCase[] };
  recKeras = d.keras;
  const res = runTap(testFile);
  for (const c of d.cases) {
    const mine = res.filter((r) => r.path[r.path.length - 1] === c.name);
    const ok = mine.length > 0 && mine.every((r) => r.status === 'ok');
    for (const cls of new Set([c.className, ...(c.inner ?? []).map((i) => i.className)])) {
      recFor.set(cls, [...(recFor.get(cls) ?? []), { name: c.name, file: json, ok }]);
    }
  }
}

// Corpus prediction cases: files written by real Keras 1.x/2.x/tf.keras with Keras-computed outputs.
const { corpusDir } = await import(pathToFileURL(join(root, 'test/helpers/corpus.ts')).href) as typeof import('../test/helpers/corpus.ts');
if (!corpusDir) {
  process.stderr.write('gen-layer-docs: the shared corpus (../shared/keras-corpus, or KERAS_CORPUS) is required; docs/layers.md was not changed\n');
  process.exit(1);
}
interface Inv { path: string; keras_version?: string | null; layers?: Record<string, number> }
const inventory = JSON.parse(readFileSync(join(corpusDir, 'inventory.json'), 'utf8')) as Inv[];
const invByPath = new Map(inventory.map((r) => [r.path, r]));
const { listPredictionCases } = await import(pathToFileURL(join(root, 'test/runtime/corpus-cases.ts')).href) as typeof import('../test/runtime/corpus-cases.ts');
const predCases = await listPredictionCases();
const corpusFor = new Map<string, { id: string; version: string; asName?: string }[]>();
{
  const res = runTap('test/corpus-predictions.test.ts');
  for (const c of predCases) {
    const mine = res.filter((r) => r.path[r.path.length - 1] === c.id);
    if (mine.length < 2 || !mine.every((r) => r.status === 'ok')) continue;
    const recs = [c.model, c.weights].filter((p): p is string => !!p).map((p) => invByPath.get(relative(corpusDir, p))).filter((r): r is Inv => !!r);
    const version = recs.map((r) => r.keras_version).find((v) => v) ?? 'unrecorded';
    const classes = new Set(recs.flatMap((r) => Object.keys(r.layers ?? {})));
    // The file's own class names; older names count for the class the normalizer maps them to.
    for (const fileCls of classes) {
      if (fileCls === 'Merge') continue; // converted to a mode-specific layer the inventory does not name
      const cls = KERAS1_CLASS_RENAMES[fileCls] ?? fileCls;
      const list = corpusFor.get(cls) ?? [];
      if (!list.some((x) => x.id === c.id)) list.push({ id: c.id, version, asName: fileCls === cls ? undefined : fileCls });
      else if (fileCls !== cls) list.find((x) => x.id === c.id)!.asName ??= fileCls;
      corpusFor.set(cls, list);
    }
  }
}

// ---------------------------------------------------------------- unsupported classes
const keras3 = JSON.parse(readFileSync(join(root, 'scripts/keras-3.15-layer-classes.json'), 'utf8')) as { keras_version: string; classes: Record<string, string> };
const keras3Canonical = new Set(Object.values(keras3.classes));
const keras3Aliases = Object.entries(keras3.classes).filter(([a, c]) => a !== c);

/** Hand-kept reasons; anything not listed gets the reason the importer's own error gives. */
const REASONS: [RegExp, string][] = [
  [/^Lambda$/, 'its function is Python bytecode/source stored in the file, which is never executed. Supply it: `registerLambdaLayer(name, fn)`.'],
  [/^(Layer|Wrapper)$/, 'abstract base class; a subclass in a file is a custom class. Supply it: `registerCustomLayer(className, factory)`.'],
  [/^(JaxLayer|FlaxLayer|TorchModuleWrapper|TFSMLayer)$/, 'wraps backend-native code (JAX/Flax/PyTorch function or a TF SavedModel) that is not in the file in a runnable form.'],
  [/^(TextVectorization|StringLookup|IntegerLookup|Hashing|HashedCrossing|CategoryEncoding|Discretization)$/, 'vocabulary/string/categorical preprocessing layer: no builder. Preprocess outside the model, or `registerCustomLayer`.'],
  [/^(Random\w+|AugMix|CutMix|MixUp|RandAugment|Solarization|Equalization|AutoContrast|ContrastLimitedAdaptiveHistogramEqualization|MaxNumBoundingBoxes|Pipeline)$/, 'image augmentation/preprocessing layer: no builder. Remove it from the inference model, or `registerCustomLayer`.'],
  [/^(MelSpectrogram|STFTSpectrogram)$/, 'audio preprocessing: no builder.'],
];
function reasonFor(cls: string): string {
  for (const [re, why] of REASONS) if (re.test(cls)) return why;
  // The importer's own message for this class (the same text a user sees), first line only.
  const err = unsupportedLayerError({ name: 'x', className: cls, config: {}, inboundNodes: [] } as never, { source: 'file' } as never);
  const why = err.message.split('\n')[0].replace(/^.*?\(class [^)]*\) /, '')
    .replace(/^has the class '[^']*', which is not a built-in Keras layer keras-import knows$/, 'no builder (not a built-in class keras-import knows)')
    .replace(/^has the quantized layer class '[^']*' \(([^)]*)\), which is not built in$/, 'quantized layer ($1): no builder');
  const hint = /registerCustomLayer|registerLambdaLayer/.exec(err.message)?.[0] ?? 'registerCustomLayer';
  return `${why}. Supply it: \`${hint}('${cls}', …)\`.`;
}

const registeredSet = new Set(allNames);
const unsupported = new Map<string, { seen: Set<string>; reason: string }>();
const addUnsupported = (cls: string, where: string) => {
  if (registeredSet.has(cls) || STRUCTURAL[cls] || KERAS1_CLASS_RENAMES[cls] || cls === 'Merge') return;
  const u = unsupported.get(cls) ?? { seen: new Set<string>(), reason: reasonFor(cls) };
  u.seen.add(where);
  unsupported.set(cls, u);
};
for (const c of keras3Canonical) if (!['InputLayer'].includes(c)) addUnsupported(c, `Keras ${keras3.keras_version}`);
for (const r of inventory) for (const cls of Object.keys(r.layers ?? {})) addUnsupported(cls, 'corpus');
for (const c of manifest.cases) for (const cl of c.classes) if (!cl.startsWith('ops.')) addUnsupported(cl, `fixture ${c.name}`);
// Keras 3 ops recorded in fixtures but missing from the op table.
const missingOps = [...new Set(manifest.cases.flatMap((c) => c.classes.filter((cl) => cl.startsWith('ops.') && !opKey(cl.slice(4)))))];

// ---------------------------------------------------------------- writing
const list = (xs: string[]) => (xs.length ? xs.join(', ') : '—');
const code = (s: string) => `\`${s}\``;
function fixtureCell(key: string): string {
  const cs = casesFor.get(key) ?? [];
  // Every case that does not pass is shown; passing ones up to a few, then a count.
  const passing = cs.filter((c) => caseStatus.get(c.name) === 'pass');
  const shown = [...passing.slice(0, 6), ...cs.filter((c) => caseStatus.get(c.name) !== 'pass')];
  const more = passing.length - Math.min(passing.length, 6);
  return list(shown.map((c) => {
    const s = caseStatus.get(c.name)!;
    const fmts = c.files.h5 ? '' : ' (.keras only)';
    return `${code(c.name)}${s === 'pass' ? '' : ` (${s === 'cpu-only' ? 'cpu only' : s === 'rejected' ? 'rejected setting' : s === 'skip' ? 'skipped' : 'FAILS'})`}${fmts}`;
  }).concat(more ? [`+${more} more passing`] : []));
}
const fixturePass = (key: string) => (casesFor.get(key) ?? []).some((c) => caseStatus.get(c.name) === 'pass');
const recPass = (cls: string) => (recFor.get(cls) ?? []).some((r) => r.ok);
const corpusPass = (cls: string) => (corpusFor.get(cls) ?? []).length > 0;
function recCell(cls: string): string {
  const rs = recFor.get(cls) ?? [];
  if (!rs.length) return '—';
  const ok = rs.filter((r) => r.ok).length;
  return `${ok}/${rs.length} cases pass (${[...new Set(rs.map((r) => r.file))].join(', ')})`;
}
function corpusCell(cls: string): string {
  const cs = corpusFor.get(cls) ?? [];
  if (!cs.length) return '—';
  const vs = [...new Set(cs.map((c) => c.version))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const as = [...new Set(cs.map((c) => c.asName).filter((a): a is string => !!a))];
  return `${cs.length} file${cs.length > 1 ? 's' : ''}; Keras ${vs.join(', ')}${as.length ? ` (some written as ${as.map(code).join(', ')})` : ''}`;
}
function proof(cls: string): string {
  if (fixturePass(cls)) return 'fixture';
  if (recPass(cls)) return 'recurrent-fixture';
  if (corpusPass(cls)) return 'corpus';
  return 'none';
}

const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const verified = layerClasses.filter((c) => proof(c) !== 'none');
const byProof = (p: string) => layerClasses.filter((c) => proof(c) === p).length;
const corpusVersions = [...new Set([...corpusFor.values()].flat().map((c) => c.version))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
const opVerified = opEntries.filter((o) => fixturePass(`op:${o}`));
const unverified = layerClasses.filter((c) => proof(c) === 'none');

const L: string[] = [];
L.push('# Keras layers: what keras-import builds, and the proof');
L.push('');
L.push(`<!-- Generated by scripts/gen-layer-docs.ts at commit ${sha}; do not edit by hand. test/docs-layers.test.ts checks it against the registry and the fixtures. -->`);
L.push('');
L.push('Every class below is built by a builder in the layer registry (`src/layers/registry.ts`). "Proof" says how it was checked against **outputs computed by real Keras**, strongest first:');
L.push('');
L.push(`- **fixture** — a per-layer fixture written by Keras ${manifest.keras_version} (\`test/fixtures/layers\`, saved as \`.keras\` and legacy \`.h5\`) is imported and run on the wasm and cpu backends and matches Keras' own prediction within 1e-4 (\`${judgeFile}\`).`);
L.push(`- **recurrent-fixture** — a layer-level case computed by Keras ${recKeras} (\`test/fixtures/recurrent/*.json\`, with masks, initial states, wrapped layers) matches on cpu and wasm.`);
L.push('- **corpus** — a real model file from the shared corpus written by Keras 1.x/2.x/tf.keras, with outputs Keras computed, matches on wasm and cpu (`test/corpus-predictions.test.ts`; versions from the corpus `inventory.json`).');
L.push('- **none** — registered, but no Keras-computed case exercises it yet.');
L.push('');
L.push('Fixture status marks: plain = passes on wasm and cpu; (cpu only) = passes on cpu, known wasm crash; (FAILS) = the judge fails today; (skipped) = the judge skips it; (rejected setting) = the fixture uses a setting we refuse with a typed error.');
L.push('');
L.push('## Summary');
L.push('');
L.push(`- **${layerClasses.length}** registered layer classes; **${verified.length}** of them verified against Keras-computed outputs: ${byProof('fixture')} by a Keras ${manifest.keras_version} per-layer fixture, ${byProof('recurrent-fixture')} more by a recurrent/attention fixture only, ${byProof('corpus')} more by corpus files only. **${unverified.length}** registered only (no Keras-computed case): ${list(unverified.map(code))}.`);
L.push(`- Model structure (${list(Object.keys(STRUCTURAL).map(code))}) is handled by the graph builder, not the registry.`);
L.push(`- Keras 3 op table: **${opEntries.length}** ops (used by Keras 3 op nodes, tf.keras \`TFOpLambda\`/\`SlicingOpLambda\`, TF 2.0–2.3 \`TensorFlowOpLayer\`); ${opVerified.length} of them exercised by a passing Keras ${manifest.keras_version} fixture.`);
L.push(`- Keras versions verified: ${manifest.keras_version} (per-layer and recurrent fixtures, \`.keras\` and \`.h5\`); corpus files written by Keras ${list(corpusVersions)} ("-tf" = tf.keras).`);
L.push(`- Per-layer fixture cases: ${manifest.cases.length}; passing on wasm and cpu: ${[...caseStatus.values()].filter((s) => s === 'pass').length}; cpu only: ${[...caseStatus.values()].filter((s) => s === 'cpu-only').length}; rejected by design: ${rejected.size}; failing: ${[...caseStatus.entries()].filter(([, s]) => s === 'fail').map(([n]) => code(n)).join(', ') || 'none'}; skipped: ${[...caseStatus.entries()].filter(([, s]) => s === 'skip').map(([n]) => code(n)).join(', ') || 'none'}.`);
L.push(`- Not built: ${unsupported.size} classes (see [Not supported](#not-supported)).`);
L.push('');
L.push('## Supported layer classes');
L.push('');
L.push('<!-- supported:start -->');
for (const fam of familyFiles) {
  const cls = layerClasses.filter((c) => familyOf.get(c) === fam);
  if (!cls.length) continue;
  L.push('');
  L.push(`### ${fam.replace(/^src\/layers\/|\.ts$/g, '')} (\`${fam}\`)`);
  L.push('');
  L.push(`| Class | Proof | Keras ${manifest.keras_version} fixtures | Recurrent fixtures | Corpus prediction files | Notes |`);
  L.push('|---|---|---|---|---|---|');
  for (const c of cls) {
    const notes: string[] = [];
    if (!keras3Canonical.has(c)) notes.push(`not a Keras ${keras3.keras_version} class (older files)`);
    const aliases = keras3Aliases.filter(([, k]) => k === c).map(([a]) => a);
    if (aliases.length) notes.push(`Keras 3 aliases: ${aliases.join(', ')}`);
    if (KERAS1_CLASS_RENAMES[c]) notes.push(`the normalizer renames it to ${KERAS1_CLASS_RENAMES[c]} before building`);
    if (['TFOpLambda', 'SlicingOpLambda', 'TensorFlowOpLayer'].includes(c)) notes.push('runs ops from the op table below; other ops raise UnsupportedLayerError');
    L.push(`| ${code(c)} | ${proof(c)} | ${fixtureCell(c)} | ${recCell(c)} | ${corpusCell(c)} | ${notes.join('; ')} |`);
  }
}
L.push('');
L.push('<!-- supported:end -->');
L.push('');
L.push('## Registered only to reject');
L.push('');
L.push('<!-- reject-only:start -->');
L.push('');
L.push('| Class | What happens |');
L.push('|---|---|');
for (const [c, why] of Object.entries(REJECT_ONLY)) L.push(`| ${code(c)} | ${why} |`);
L.push('');
L.push('<!-- reject-only:end -->');
L.push('');
L.push('## Model structure (graph builder)');
L.push('');
L.push(`| Class | Handled by | Keras ${manifest.keras_version} fixtures |`);
L.push('|---|---|---|');
for (const [c, why] of Object.entries(STRUCTURAL)) L.push(`| ${code(c)} | ${why} | ${fixtureCell(c)} |`);
L.push('');
L.push('## Older class names renamed on import');
L.push('');
L.push('The config normalizer (`src/spec/normalize-keras1.ts`) maps these Keras 1 / tf.keras internal names to the class that builds them; corpus evidence for a file using the old name counts for the new one.');
L.push('');
L.push('| Name in the file | Built as |');
L.push('|---|---|');
for (const [from, to] of Object.entries(KERAS1_CLASS_RENAMES)) L.push(`| ${code(from)} | ${code(to)} |`);
L.push('');
L.push('## Keras 3 op table (`src/layers/ops.ts`)');
L.push('');
L.push('Keras 3 records `keras.ops` calls in functional graphs as op nodes (class e.g. `Absolute`, module `keras.src.ops.numpy`); tf.keras records them as `TFOpLambda` (`tf.math.abs`) or, in TF 2.0–2.3, `TensorFlowOpLayer` (raw op `Abs`). All three resolve to one entry of this table (class names are snake-cased, then aliases applied).');
L.push('');
L.push('<!-- ops:start -->');
L.push('');
L.push(`| Op | Also accepted as | Keras ${manifest.keras_version} fixtures |`);
L.push('|---|---|---|');
for (const o of opEntries) L.push(`| ${code(o)} | ${list((opAliases.get(o) ?? []).map(code))} | ${fixtureCell(`op:${o}`)} |`);
L.push('');
L.push('<!-- ops:end -->');
L.push('');
L.push('## Not supported');
L.push('');
L.push('Importing a file with one of these classes fails with `UnsupportedLayerError`, naming the file, the layer and what to do. Nothing from a model file is ever executed. "Seen in" says where the class was found: the public `keras.layers` of Keras ' + keras3.keras_version + ' (`scripts/keras-3.15-layer-classes.json`), the shared corpus, or a fixture.');
L.push('');
L.push('<!-- unsupported:start -->');
L.push('');
L.push('| Class | Seen in | Reason / what to do |');
L.push('|---|---|---|');
for (const [c, u] of [...unsupported.entries()].sort(([a], [b]) => a.localeCompare(b))) L.push(`| ${code(c)} | ${[...u.seen].sort().join(', ')} | ${u.reason} |`);
L.push('');
L.push('<!-- unsupported:end -->');
L.push('');
L.push('Other limits:');
L.push('');
L.push('- **Custom classes** (anything not above, e.g. `GarNet`): `registerCustomLayer(className, factory, { convertWeights })`; custom activations: `registerActivation(name, fn)`.');
L.push('- **Quantized layers** (QKeras `Q*`, hls4ml/Larq `Binary*`, `Ternary*`, `Quant*`): not built in; `registerCustomLayer`.');
L.push('- **Ops outside the op table** in `TFOpLambda` / `SlicingOpLambda` / `TensorFlowOpLayer` / Keras 3 op nodes: `UnsupportedLayerError` naming the op; supply it with `registerLambdaLayer(layerName, fn)`.' + (missingOps.length ? ` Keras 3 ops recorded in fixtures but missing from the table: ${list(missingOps.map(code))}.` : ''));
if (rejected.size) {
  L.push('- **Settings refused with `UnsupportedFeatureError`** (fixtures exist, the judge asserts the error):');
  for (const [n, msg] of rejected) L.push(`  - ${code(n)}: ${msg}`);
}
L.push('');
writeFileSync(join(root, 'docs/layers.md'), L.join('\n'));
process.stderr.write(`docs/layers.md: ${layerClasses.length} layer classes (${verified.length} verified: ${byProof('fixture')} fixture, ${byProof('recurrent-fixture')} recurrent, ${byProof('corpus')} corpus), ${opEntries.length} ops, ${unsupported.size} unsupported\n`);
void rel;
