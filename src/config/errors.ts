/**
 * Configuration problems: their shape, their one-line format, the readable wording of zod's
 * issues, and "did you mean" suggestions. Messages here are part of the user interface and
 * golden tests pin them; change them on purpose only.
 */
import type { z } from 'zod';
import { formatAt, objectKeys, objectKeysAt, schemaAtPath, type PathSegment, type Schema } from './docs.js';

export type { PathSegment } from './docs.js';

/** One thing wrong with a configuration file, placed in the file. */
export type ConfigProblem = {
  /** Key path such as `routes[2].upstream` or `upstreams.app.targets[0].url`; empty for the whole file. */
  path: string;
  message: string;
  file: string;
  /** 1-based line of the offending node, when known. */
  line?: number;
  /** 1-based column of the offending node, when known. */
  column?: number;
  /** A suggestion, such as `did you mean "app"?`. */
  hint?: string;
};

/**
 * A problem before it is placed in the file: the loader turns `path` into a line and column
 * by finding the node in the parsed YAML (the key itself when `at` is `key`), unless `offset`
 * already says where it is.
 */
export type ProblemDraft = {
  path: readonly PathSegment[];
  message: string;
  hint?: string;
  at?: 'key' | 'value';
  /** Character offset in the source, when the problem's position is known directly. */
  offset?: number;
};

const BARE_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['routes', 2, 'upstream']` → `routes[2].upstream`; odd keys are quoted: `upstreams["a.b"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (BARE_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `file:line:col: path: message (hint)`, one line per problem. */
export function formatProblem(problem: ConfigProblem): string {
  let where = problem.file;
  if (problem.line !== undefined) {
    where += `:${problem.line}`;
    if (problem.column !== undefined) where += `:${problem.column}`;
  }
  const path = problem.path === '' ? '' : `${problem.path}: `;
  const hint = problem.hint === undefined ? '' : ` (${problem.hint})`;
  return `${where}: ${path}${problem.message}${hint}`;
}

/** All problems, one per line (no trailing newline). */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map(formatProblem).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Did you mean

/**
 * Damerau-Levenshtein distance (unrestricted: adjacent transpositions count as one edit, and
 * a transposed pair may be edited further), by Lowrance and Wagner's algorithm.
 */
export function damerauLevenshtein(a: string, b: string): number {
  const s = Array.from(a);
  const t = Array.from(b);
  const maxDistance = s.length + t.length;
  // d has a border row and column holding maxDistance, so d[i + 1][j + 1] is the distance of s[0..i) and t[0..j).
  const d: number[][] = Array.from({ length: s.length + 2 }, () => new Array<number>(t.length + 2).fill(0));
  d[0]![0] = maxDistance;
  for (let i = 0; i <= s.length; i++) {
    d[i + 1]![0] = maxDistance;
    d[i + 1]![1] = i;
  }
  for (let j = 0; j <= t.length; j++) {
    d[0]![j + 1] = maxDistance;
    d[1]![j + 1] = j;
  }
  const lastRowOf = new Map<string, number>();
  for (let i = 1; i <= s.length; i++) {
    let lastMatchColumn = 0;
    for (let j = 1; j <= t.length; j++) {
      const i1 = lastRowOf.get(t[j - 1]!) ?? 0;
      const j1 = lastMatchColumn;
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      if (cost === 0) lastMatchColumn = j;
      d[i + 1]![j + 1] = Math.min(
        d[i]![j]! + cost, // substitution (or match)
        d[i + 1]![j]! + 1, // insertion
        d[i]![j + 1]! + 1, // deletion
        d[i1]![j1]! + (i - i1 - 1) + 1 + (j - j1 - 1), // transposition
      );
    }
    lastRowOf.set(s[i - 1]!, i);
  }
  return d[s.length + 1]![t.length + 1]!;
}

/**
 * The candidate closest to `input`, if it is close enough to be a likely typo: at most one
 * edit per three characters (at least one), and fewer edits than the shorter string's length
 * (so `x` never suggests `y`). Case is ignored for closeness (`healthcheck` → `healthCheck`);
 * ties go to the fewer case-sensitive edits, then to the earlier candidate.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: { candidate: string; distance: number; exact: number } | undefined;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    const distance = damerauLevenshtein(lower, candidate.toLowerCase());
    const longer = Math.max(input.length, candidate.length);
    const shorter = Math.min(input.length, candidate.length);
    if (distance > Math.max(1, Math.floor(longer / 3)) || distance >= shorter) continue;
    const exact = damerauLevenshtein(input, candidate);
    if (best === undefined || distance < best.distance || (distance === best.distance && exact < best.exact)) {
      best = { candidate, distance, exact };
    }
  }
  return best?.candidate;
}

/** `did you mean "x"?`, or undefined when nothing is close. */
export function suggestion(input: string, candidates: Iterable<string>): string | undefined {
  const match = didYouMean(input, candidates);
  return match === undefined ? undefined : `did you mean ${JSON.stringify(match)}?`;
}

// ---------------------------------------------------------------------------------------------
// zod issues in users' words

/** The kind of a YAML value, as users see it: `string`, `number`, `boolean`, `null`, `list`, `object`. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  return typeof value;
}

/** A value shown in a message: strings quoted (and shortened), collections by kind. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

const EXPECTED_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  null: 'null',
};

function expectedName(expected: string): string {
  return EXPECTED_NAMES[expected] ?? `a ${expected}`;
}

function showChoice(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

function unionMessage(errors: readonly (readonly z.core.$ZodIssue[])[], input: unknown): string {
  const rootIssues = errors.map((branch) => (branch.length === 1 && branch[0]!.path.length === 0 ? branch[0] : undefined));
  if (rootIssues.length > 0 && rootIssues.every((issue) => issue?.code === 'invalid_type' || issue?.code === 'invalid_value')) {
    const values: string[] = [];
    const types: string[] = [];
    for (const issue of rootIssues) {
      if (issue?.code === 'invalid_value') values.push(...issue.values.map(showChoice));
      else if (issue?.code === 'invalid_type') types.push(expectedName(issue.expected));
    }
    if (types.length === 0) return `expected one of ${values.join(', ')}, got ${showValue(input)}`;
    if (values.length === 0) return `expected ${[...new Set(types)].join(' or ')}, got ${kindOf(input)}`;
    return `expected ${[...values, ...new Set(types)].join(' or ')}, got ${showValue(input)}`;
  }
  // Some option got further than a type check: report the issue that went deepest.
  let deepest: z.core.$ZodIssue | undefined;
  for (const branch of errors) for (const issue of branch) if (deepest === undefined || issue.path.length > deepest.path.length) deepest = issue;
  if (deepest === undefined) return 'does not match any accepted form';
  const where = formatPath(deepest.path.map(toSegment));
  return `does not match any accepted form (closest: ${where === '' ? '' : `${where}: `}${deepest.message})`;
}

/**
 * zod error map giving readable messages. zod uses it only for issues whose schema did not set
 * its own message, so the schemas' messages (refinements, regexes) pass through unchanged.
 */
export const readableIssueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required key missing';
      if (issue.expected === 'int' && typeof issue.input === 'number') return `expected an integer, got ${issue.input}`;
      return `expected ${expectedName(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'too_small': {
      const n = Number(issue.minimum);
      if (issue.origin === 'array' || issue.origin === 'set') return `expected at least ${n} item${n === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return n === 1 ? 'must not be empty' : `expected at least ${n} characters`;
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${n}, got ${showValue(issue.input)}`;
    }
    case 'too_big': {
      const n = Number(issue.maximum);
      if (issue.origin === 'array' || issue.origin === 'set') return `expected at most ${n} item${n === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return `expected at most ${n} characters`;
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${n}, got ${showValue(issue.input)}`;
    }
    case 'invalid_format': {
      const got = showValue(issue.input);
      if ('prefix' in issue && typeof issue.prefix === 'string') return `expected a string starting with ${JSON.stringify(issue.prefix)}, got ${got}`;
      if ('suffix' in issue && typeof issue.suffix === 'string') return `expected a string ending with ${JSON.stringify(issue.suffix)}, got ${got}`;
      if ('includes' in issue && typeof issue.includes === 'string') return `expected a string containing ${JSON.stringify(issue.includes)}, got ${got}`;
      if (issue.format === 'regex' && issue.pattern !== undefined) return `expected a string matching ${issue.pattern}, got ${got}`;
      return `expected a valid ${issue.format}, got ${got}`;
    }
    case 'not_multiple_of':
      return `expected a multiple of ${issue.divisor}, got ${showValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(showChoice).join(', ')}, got ${showValue(issue.input)}`;
    case 'invalid_union':
      return unionMessage(issue.errors, issue.input);
    case 'invalid_key':
      return `invalid key ${showValue(issue.input)}: ${issue.issues[0]?.message ?? 'not allowed here'}`;
    case 'invalid_element':
      return `invalid item: ${issue.issues[0]?.message ?? 'not allowed here'}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    case 'custom':
      return 'invalid value';
    default:
      return undefined;
  }
};

function toSegment(key: PropertyKey): PathSegment {
  return typeof key === 'symbol' ? String(key) : key;
}

const UNIT_EXAMPLES: Record<string, string> = {
  duration: 'a duration like 250ms, 30s, 5m or 1h',
  size: 'a size like 512KiB, 10MiB, 1GiB or a number of bytes',
};

/** Hint for an unknown key: a close sibling key, else the same key one level down (`limits.maxBodyBytes`). */
function unknownKeyHint(key: string, allowed: readonly string[], schema: Schema | undefined): string | undefined {
  const close = suggestion(key, allowed);
  if (close !== undefined || schema === undefined) return close;
  for (const child of allowed) {
    const childSchema = schemaAtPath(schema, [child]);
    const grandchildren = childSchema === undefined ? undefined : objectKeys(childSchema);
    const match = grandchildren?.find((k) => k.toLowerCase() === key.toLowerCase());
    if (match !== undefined) return `did you mean ${JSON.stringify(`${child}.${match}`)}?`;
  }
  return undefined;
}

/**
 * Turns zod issues (parsed with `readableIssueMessage` and `reportInput: true`) into problem
 * drafts: one per unknown key with a suggestion from the schema, unit fields worded as units,
 * and a suggestion for a near-miss enum value.
 */
export function problemsFromIssues(issues: readonly z.core.$ZodIssue[], root: Schema): ProblemDraft[] {
  const drafts: ProblemDraft[] = [];
  for (const issue of issues) {
    const path = issue.path.map(toSegment);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const allowed = objectKeysAt(root, path) ?? [];
        const objectSchema = schemaAtPath(root, path);
        for (const key of issue.keys) {
          const hint = unknownKeyHint(key, allowed, objectSchema);
          drafts.push({ path: [...path, key], at: 'key', message: `unknown key ${JSON.stringify(key)}`, ...(hint === undefined ? {} : { hint }) });
        }
        break;
      }
      case 'invalid_key':
        drafts.push({ path, at: 'key', message: issue.message });
        break;
      case 'invalid_union': {
        const format = formatAt(root, path);
        const unit = format === undefined ? undefined : UNIT_EXAMPLES[format];
        drafts.push({ path, message: unit === undefined ? issue.message : `expected ${unit}, got ${showValue(issue.input)}` });
        break;
      }
      case 'invalid_value': {
        const hint = typeof issue.input === 'string' ? suggestion(issue.input, issue.values.filter((v): v is string => typeof v === 'string')) : undefined;
        drafts.push({ path, message: issue.message, ...(hint === undefined ? {} : { hint }) });
        break;
      }
      default:
        drafts.push({ path, message: issue.message });
    }
  }
  return drafts;
}
