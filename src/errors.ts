/**
 * Typed errors. Every error names the file and, where it applies, the layer, and says what to do.
 * The CLI prints `message` (plus the stack only with --verbose) and exits 1.
 */

export interface ErrorContext {
  /** File name, or a label for byte input. */
  file?: string;
  /** Layer name, when the problem is in one layer. */
  layer?: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

export class KerasImportError extends Error {
  readonly file?: string;
  readonly layer?: string;
  readonly hint?: string;

  constructor(message: string, ctx: ErrorContext = {}) {
    super(composeMessage(message, ctx), ctx.cause !== undefined ? { cause: ctx.cause } : undefined);
    this.name = new.target.name;
    this.file = ctx.file;
    this.layer = ctx.layer;
    this.hint = ctx.hint;
  }
}

function composeMessage(message: string, ctx: ErrorContext): string {
  const where = [ctx.file && `${ctx.file}`, ctx.layer && `layer '${ctx.layer}'`].filter(Boolean).join(', ');
  let text = where ? `${where}: ${message}` : message;
  if (ctx.hint) text += `\n  → ${ctx.hint}`;
  return text;
}

/** The bytes are not any Keras model format we know (image, empty file, HDF5 of something else…). */
export class NotAKerasModelError extends KerasImportError {}

/** The container is damaged: truncated or corrupt HDF5 or zip, undecodable JSON. */
export class CorruptFileError extends KerasImportError {}

/** A zip archive that could harm the reader: duplicate or path-traversing names, size bombs. */
export class UnsafeArchiveError extends KerasImportError {}

/** The JSON is valid but is not a Keras model configuration, or is inconsistent. */
export class InvalidConfigError extends KerasImportError {}

/** A stored weight disagrees with the configuration (shape, count). */
export class WeightMismatchError extends KerasImportError {}

/** The model needs weights from another file (weights-only / architecture-only input). */
export class MissingWeightsError extends KerasImportError {}

/** A layer class we cannot run (Lambda, custom classes, …) and no registered implementation. */
export class UnsupportedLayerError extends KerasImportError {}

/** An initializer that is neither built in nor registered. */
export class UnsupportedInitializerError extends KerasImportError {}

/** Inputs given to predict do not match the model (count, shape, dtype). */
export class InvalidInputError extends KerasImportError {}

/** A valid Keras feature this version does not implement yet (named precisely). */
export class UnsupportedFeatureError extends KerasImportError {}
