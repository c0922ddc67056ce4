/**
 * `keras-import summary <model> [--weights <file.h5>] [--json]`: the Keras-like model summary
 * (layers, output shapes, parameter counts, Keras version and backend), or the same as JSON.
 */
import type { Command } from 'commander';
import type { ModelSpec } from '../spec/types.ts';
import { renderSummary, summarizeModel, type ModelSummary } from '../spec/summary.ts';

export type ModelReader = (pathOrBytes: string | Uint8Array, options?: { weights?: string | Uint8Array }) => Promise<ModelSpec>;

/** The library's reader (src/import.ts), loaded on first use so the CLI starts fast. */
async function defaultReader(): Promise<ModelReader> {
  const mod = await import('../import.ts');
  return mod.readModelFile;
}

/** JSON form: the summary minus nothing; weights carry name/shape/dtype only, never values. */
export function summaryJson(s: ModelSummary): string {
  return JSON.stringify(s, null, 2) + '\n';
}

export async function runSummary(
  model: string,
  opts: { weights?: string; json?: boolean },
  deps: { read?: ModelReader; write?: (text: string) => void } = {},
): Promise<void> {
  const read = deps.read ?? (await defaultReader());
  const write = deps.write ?? ((t: string) => { process.stdout.write(t); });
  const spec = await read(model, opts.weights ? { weights: opts.weights } : undefined);
  const summary = summarizeModel(spec);
  write(opts.json ? summaryJson(summary) : renderSummary(summary));
}

/** `deps` lets tests capture the output (or swap the reader) without touching process.stdout. */
export function register(program: Command, deps: { read?: ModelReader; write?: (text: string) => void } = {}): void {
  program
    .command('summary')
    .description('print a Keras-like summary: layers, output shapes, parameter counts, Keras version and backend')
    .argument('<model>', 'model file (.h5, .keras, .json)')
    .option('--weights <file>', 'weights file for an architecture-only model (JSON + .h5)')
    .option('--json', 'print the summary as JSON')
    .action(async (model: string, opts: { weights?: string; json?: boolean }) => {
      await runSummary(model, opts, deps);
    });
}
