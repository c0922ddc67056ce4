/**
 * `keras-import` command line. Each command lives in its own module and registers itself here.
 * Errors: a KerasImportError prints its message and exits 1; anything else is reported as an
 * internal error (still exit 1, stack only with --verbose).
 */
import { Command } from 'commander';
import { KerasImportError } from '../errors.ts';

function newProgram(): Command {
  return new Command()
    .name('keras-import')
    .description('Import Keras models (Keras 1.x–3.x: .h5, .keras, JSON) and run them on TensorFlow.js')
    .option('--verbose', 'show stack traces of errors')
    .showHelpAfterError()
    .exitOverride();
}

// Each entry: a module exporting `register(program: Command): void`.
const commandModules: Array<() => Promise<{ register(p: Command): void }>> = [
  () => import('./summary.ts'),
  () => import('./sample.ts'),
  () => import('./init.ts'),
  () => import('./predict.ts'),
];

/** Runs the CLI on `argv` (process.argv form) and returns the exit code; callable more than once. */
export async function main(argv: string[]): Promise<number> {
  const program = newProgram();
  for (const load of commandModules) {
    const mod = await load();
    mod.register(program);
  }
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    return reportError(err, argv.includes('--verbose'));
  }
}

export function reportError(err: unknown, verbose: boolean): number {
  const e = err as { code?: string; exitCode?: number };
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) {
    // commander already printed its message (help, version, usage error)
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : (e.exitCode ?? 1);
  }
  if (err instanceof KerasImportError) {
    process.stderr.write(`error: ${err.message}\n`);
  } else {
    const msg = err instanceof Error ? err.message : String(err);
    process.stderr.write(`internal error: ${msg}\n  → this is a bug in keras-import; please report it with the file that caused it (--verbose shows the stack)\n`);
  }
  if (verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return 1;
}

const isEntry = process.argv[1] && /keras-import(\.js)?$|cli[\\/]main\.ts$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv).then((code) => { process.exitCode = code; });
}
