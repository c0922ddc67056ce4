/**
 * JSON as Python's `json.dumps` writes it: bare `NaN`, `Infinity`, `-Infinity` may appear outside string
 * literals (e.g. `l2(None)` regularizers), which `JSON.parse` rejects (formats.md §5.7).
 */
import { CorruptFileError } from '../errors.ts';

/** Placeholder strings for the non-standard number literals; chosen to be absent from the input. */
function makeSentinel(text: string): string {
  let s = '\u0000keras-import-nonfinite';
  while (text.includes(s)) s += '~';
  return s;
}

/**
 * Parse Keras JSON. Tolerates bare NaN / Infinity / -Infinity outside string literals (they become the
 * JS numbers). Invalid JSON → CorruptFileError naming `source`.
 */
export function parseKerasJson(text: string, source: string): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // UTF-8 BOM from some editors
  try {
    return JSON.parse(text);
  } catch {
    // fall through: maybe non-standard literals
  }
  const sentinel = makeSentinel(text);
  const rewritten = replaceNonFinite(text, sentinel);
  if (rewritten !== null) {
    try {
      return JSON.parse(rewritten, (_k, v) => {
        if (typeof v === 'string' && v.startsWith(sentinel)) {
          const tag = v.slice(sentinel.length);
          return tag === 'NaN' ? NaN : tag === '-Infinity' ? -Infinity : Infinity;
        }
        return v;
      });
    } catch {
      // report the original problem below
    }
  }
  let detail = 'invalid JSON';
  try {
    JSON.parse(text);
  } catch (e) {
    detail = `invalid JSON (${(e as Error).message})`;
  }
  throw new CorruptFileError(`${detail}`, {
    file: source,
    hint: 'the model configuration JSON is damaged or truncated; re-export it with model.to_json() or model.save()',
  });
}

/** Replace NaN/Infinity/-Infinity tokens outside strings by sentinel strings; null when none were found. */
function replaceNonFinite(text: string, sentinel: string): string | null {
  const out: string[] = [];
  let last = 0;
  let found = false;
  let i = 0;
  const n = text.length;
  const quote = (tag: string) => JSON.stringify(sentinel + tag);
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      // skip a string literal, honouring backslash escapes
      i++;
      while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    let tag: string | null = null;
    let len = 0;
    if (c === 'N' && text.startsWith('NaN', i)) (tag = 'NaN'), (len = 3);
    else if (c === 'I' && text.startsWith('Infinity', i)) (tag = 'Infinity'), (len = 8);
    else if (c === '-' && text.startsWith('-Infinity', i)) (tag = '-Infinity'), (len = 9);
    if (tag !== null) {
      out.push(text.slice(last, i), quote(tag));
      i += len;
      last = i;
      found = true;
      continue;
    }
    i++;
  }
  if (!found) return null;
  out.push(text.slice(last));
  return out.join('');
}
