/**
 * Environment interpolation: `${NAME}` and `${NAME:-default}` in configuration values.
 *
 * It runs on the parsed YAML nodes, never on the raw text: a substituted value is always the
 * value of one scalar, so an environment variable cannot add keys, items or structure (no
 * "YAML injection"), and comments and keys are never touched.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { PathSegment } from './docs.js';
import type { ProblemDraft } from './errors.js';

/** Where variables come from: `process.env` or any plain object of strings. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The result of interpolating one string. */
export type InterpolatedString = {
  value: string;
  /** One message per reference that could not be replaced (unset, malformed). */
  errors: string[];
  /** True when the input held at least one `${...}` or `$${` (so the value was rewritten). */
  changed: boolean;
};

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Replaces `${NAME}` and `${NAME:-default}` from `env`; `$${` gives a literal `${`.
 * `${NAME:-default}` takes the default when NAME is unset or empty (as in POSIX sh);
 * `${NAME}` with NAME unset is an error (set but empty gives the empty string).
 * Substituted text is not scanned again, so a value holding `${X}` stays as it is.
 */
export function interpolateString(input: string, env: Env): InterpolatedString {
  let value = '';
  const errors: string[] = [];
  let changed = false;
  let i = 0;
  while (i < input.length) {
    if (input.startsWith('$${', i)) {
      value += '${';
      i += 3;
      changed = true;
      continue;
    }
    if (!input.startsWith('${', i)) {
      value += input[i];
      i += 1;
      continue;
    }
    changed = true;
    const close = input.indexOf('}', i + 2);
    if (close === -1) {
      errors.push(`unterminated "\${" (write "$\${" for a literal "\${")`);
      value += input.slice(i);
      break;
    }
    const body = input.slice(i + 2, close);
    const reference = input.slice(i, close + 1);
    i = close + 1;
    const separator = body.indexOf(':-');
    const name = separator === -1 ? body : body.slice(0, separator);
    const fallback = separator === -1 ? undefined : body.slice(separator + 2);
    if (!NAME.test(name)) {
      errors.push(`invalid variable reference "${reference}" (expected \${NAME} or \${NAME:-default})`);
      value += reference;
      continue;
    }
    if (fallback?.includes('${')) {
      errors.push(`a default cannot contain another variable (in "${reference}")`);
      value += reference;
      continue;
    }
    const current = env[name];
    if (fallback !== undefined && (current === undefined || current === '')) value += fallback;
    else if (current !== undefined) value += current;
    else errors.push(`environment variable ${name} is not set and has no default`);
  }
  return { value, errors, changed };
}

/** Options for `interpolateDocument`. */
export type InterpolateOptions = {
  /**
   * Called for a plain (unquoted) scalar after substitution, with its key path; returns the
   * value to use. The loader uses it to read `${N}` as a number where the schema wants one.
   */
  resolvePlain?: (path: readonly PathSegment[], text: string) => unknown;
};

/**
 * Interpolates every string value of a parsed document in place (keys are left alone) and
 * returns one problem per reference that could not be replaced, placed at its scalar.
 */
export function interpolateDocument(doc: Document, env: Env, options: InterpolateOptions = {}): ProblemDraft[] {
  const problems: ProblemDraft[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isAlias(node)) return; // the anchored node is visited where it is defined
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        visit(pair.value, [...path, key]);
      }
      return;
    }
    if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
      return;
    }
    if (!isScalar(node) || typeof node.value !== 'string' || !node.value.includes('${')) return;
    const result = interpolateString(node.value, env);
    for (const message of result.errors) {
      problems.push({ path, message, ...(node.range ? { offset: node.range[0] } : {}) });
    }
    if (!result.changed) return;
    node.value = node.type === 'PLAIN' && options.resolvePlain ? options.resolvePlain(path, result.value) : result.value;
  };
  visit(doc.contents as Node | null, []);
  return problems;
}
