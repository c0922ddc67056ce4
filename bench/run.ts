/**
 * `npm run bench`: every benchmark, each measuring ratios against a peer in the same run
 * (these machines are noisy, so absolute timings alone mean little). Run one with
 * `npm run bench -- <name>` (read-weights, initializers, predict, conv).
 */
const benches: Record<string, () => Promise<{ run(): Promise<void> }>> = {
  'read-weights': () => import('./read-weights.ts'),
  initializers: () => import('./initializers.ts'),
  predict: () => import('./predict.ts'),
  conv: () => import('./conv.ts'),
};

const wanted = process.argv.slice(2);
for (const [name, load] of Object.entries(benches)) {
  if (wanted.length && !wanted.includes(name)) continue;
  console.log(`\n=== bench: ${name} ===`);
  const mod = await load();
  await mod.run();
}
