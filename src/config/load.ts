/**
 * Loading a configuration file: parse the YAML (keeping every node's position), interpolate
 * environment variables in its values, validate with the schema, check cross-references, and
 * report every problem together, each with its key path and file:line:column.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node, type YAMLError } from 'yaml';
import { acceptsType, schemaAtPath, type PathSegment } from './docs.js';
import { formatPath, problemsFromIssues, readableIssueMessage, type ConfigProblem, type ProblemDraft } from './errors.js';
import { interpolateDocument } from './interpolate.js';
import { checkReferences } from './references.js';
import { configSchema, type Config } from './schema.js';

/** A loaded configuration, or everything that is wrong with it. */
export type LoadResult = { ok: true; config: Config } | { ok: false; problems: ConfigProblem[] };

/** Aliases expanded by one file at most (YAML "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100;

type Located = { node: Node | null; keyNode: Node | null; complete: boolean };

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/**
 * The YAML node at a key path, as far as the path goes. `complete` is false when the path
 * leaves the document (a missing key), and `node` is then the deepest node found (its parent).
 */
function findNode(doc: Document, path: readonly PathSegment[]): Located {
  let node = doc.contents as Node | null;
  let keyNode: Node | null = null;
  for (const segment of path) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? node;
    if (isMap(node)) {
      // The last pair wins, as in the converted data (an earlier duplicate is reported on its own).
      let pair: (typeof node.items)[number] | undefined;
      for (const candidate of node.items) if (keyText(candidate.key) === String(segment)) pair = candidate;
      if (pair === undefined) return { node, keyNode, complete: false };
      keyNode = pair.key as Node;
      // `key:` with nothing after it: point at the key, not at the empty space after the colon.
      const value = pair.value as Node | null;
      node = value === null || (isScalar(value) && value.value === null && value.source === '') ? keyNode : value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment] as Node;
      keyNode = null;
    } else {
      return { node, keyNode, complete: false };
    }
  }
  return { node, keyNode, complete: true };
}

/** The key path of the map pair whose key starts at `offset` (for duplicate keys), and where its first twin is. */
function findKeyAt(doc: Document, offset: number): { path: PathSegment[]; firstOffset?: number } | undefined {
  const visit = (node: unknown, path: PathSegment[]): { path: PathSegment[]; firstOffset?: number } | undefined => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (key?.range?.[0] === offset) {
          const text = keyText(key);
          const first = node.items.find((p) => p !== pair && keyText(p.key) === text);
          const firstOffset = (first?.key as Node | undefined)?.range?.[0];
          return { path: [...path, text], ...(firstOffset === undefined ? {} : { firstOffset }) };
        }
        const found = visit(pair.value, [...path, keyText(key)]);
        if (found) return found;
      }
    } else if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) {
        const found = visit(node.items[i], [...path, i]);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(doc.contents, []);
}

/** Start of the quoted scalar that runs up to `offset` (the one left open), if any. */
function scalarStartBefore(doc: Document, offset: number): number | undefined {
  let found: number | undefined;
  visitNodes(doc.contents, (node) => {
    const range = (node as Node).range;
    if (isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && range && range[0] < offset && offset <= range[2]) {
      found = range[0];
    }
  });
  return found;
}

/** Calls `fn` for every node of a tree (values and keys, aliases not followed). */
function visitNodes(node: unknown, fn: (node: unknown) => void): void {
  if (node === null || node === undefined) return;
  fn(node);
  if (isMap(node)) {
    for (const pair of node.items) {
      visitNodes(pair.key, fn);
      visitNodes(pair.value, fn);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) visitNodes(item, fn);
  }
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** YAML errors and warnings as problems; `fatal` when the document cannot be trusted further. */
function yamlProblems(doc: Document, text: string, lineCounter: LineCounter): { drafts: ProblemDraft[]; fatal: boolean } {
  const drafts: ProblemDraft[] = [];
  const linesSeen = new Set<number>();
  let fatal = false;
  const add = (error: YAMLError): void => {
    let offset = error.pos[0];
    // Indentation errors point at the start of the line: point at what is indented instead.
    while (text[offset] === ' ') offset++;
    if (error.code === 'DUPLICATE_KEY') {
      const key = findKeyAt(doc, offset);
      const path = key?.path ?? [];
      let hint: string | undefined;
      if (key?.firstOffset !== undefined) {
        const first = lineCounter.linePos(key.firstOffset);
        hint = first.line === lineCounter.linePos(offset).line ? `first defined at column ${first.col}` : `first defined at line ${first.line}`;
      }
      drafts.push({ path, offset, message: `duplicate key ${JSON.stringify(path.at(-1) ?? '')}`, ...(hint === undefined ? {} : { hint }) });
      return;
    }
    // One syntax error tends to cause more: on the same line, and "unexpected token" ones after
    // it while the parser finds its feet again. The first one is the useful one.
    const { line } = lineCounter.linePos(offset);
    if (linesSeen.has(line) || (fatal && error.code === 'UNEXPECTED_TOKEN')) return;
    fatal = true;
    linesSeen.add(line);
    let message = `invalid YAML: ${lowerFirst(error.message)}`;
    if (error.code === 'MULTIPLE_DOCS') message = 'the file holds more than one YAML document (---); Barbican reads exactly one';
    if (error.code === 'MISSING_CHAR' && /quote/.test(error.message)) {
      // yaml reports an unclosed quote where the file ends; the opening quote is the useful place.
      message = 'invalid YAML: missing closing quote';
      const start = scalarStartBefore(doc, offset);
      if (start !== undefined) offset = start;
    }
    const lineText = text.slice(lineCounter.lineStarts[line - 1] ?? 0, lineCounter.lineStarts[line] ?? text.length);
    const hint = /\$\{/.test(lineText) && /[{}[\],]/.test(lineText) ? 'inside { } or [ ], put a value with ${...} in quotes' : undefined;
    drafts.push({ path: [], offset, message, ...(hint === undefined ? {} : { hint }) });
  };
  for (const error of doc.errors) add(error);
  for (const warning of doc.warnings) add(warning);
  return { drafts, fatal };
}

/** Aliases whose anchor does not exist (yaml reports them only when converting, by throwing). */
function unresolvedAliases(doc: Document): ProblemDraft[] {
  const drafts: ProblemDraft[] = [];
  const visit = (node: unknown, path: PathSegment[]): void => {
    if (isAlias(node)) {
      if (node.resolve(doc) === undefined) {
        drafts.push({ path, message: `unknown alias *${node.source}: no anchor &${node.source} is defined before it`, ...(node.range ? { offset: node.range[0] } : {}) });
      }
    } else if (isMap(node)) {
      for (const pair of node.items) if (isPair(pair)) visit(pair.value, [...path, keyText(pair.key)]);
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item, [...path, index]));
    }
  };
  visit(doc.contents, []);
  return drafts;
}

const NUMBER_TEXT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const BOOLEAN_TEXT = /^(?:true|True|TRUE|false|False|FALSE)$/;

/** Types an env-substituted unquoted value as YAML would, but only where the schema accepts that type. */
function resolvePlain(path: readonly PathSegment[], text: string): unknown {
  const schema = schemaAtPath(configSchema, path);
  if (schema === undefined) return text;
  if (NUMBER_TEXT.test(text) && acceptsType(schema, 'number')) return Number(text);
  if (BOOLEAN_TEXT.test(text) && acceptsType(schema, 'boolean')) return text.toLowerCase() === 'true';
  return text;
}

function isUnder(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => String(segment) === String(path[i]));
}

function place(draft: ProblemDraft, doc: Document, lineCounter: LineCounter, file: string): ConfigProblem {
  let offset = draft.offset;
  if (offset === undefined) {
    const { node, keyNode, complete } = findNode(doc, draft.path);
    const target = draft.at === 'key' && complete && keyNode !== null ? keyNode : node;
    offset = target?.range?.[0];
  }
  const { line, col } = offset === undefined ? { line: 1, col: 1 } : lineCounter.linePos(offset);
  return {
    path: formatPath(draft.path),
    message: draft.message,
    file,
    line,
    column: col,
    ...(draft.hint === undefined ? {} : { hint: draft.hint }),
  };
}

/** Problems in file order (those without a position first), without repeats. */
function ordered(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const id = `${p.line}:${p.column}:${p.path}:${p.message}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return unique
    .map((problem, index) => ({ problem, index }))
    .sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0) || (a.problem.column ?? 0) - (b.problem.column ?? 0) || a.index - b.index)
    .map(({ problem }) => problem);
}

/**
 * Loads a configuration from YAML (or JSON) text. `fileName` is only used in problems.
 * Environment variables come from `env` (default: `process.env`).
 */
export function loadConfigText(text: string, fileName: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  const locate = (draft: ProblemDraft): ConfigProblem => place(draft, doc, lineCounter, fileName);

  const syntax = yamlProblems(doc, text, lineCounter);
  if (syntax.fatal) return { ok: false, problems: ordered(syntax.drafts.map(locate)) };

  // Unresolved aliases make the conversion below throw: report them and stop.
  const aliases = unresolvedAliases(doc);
  if (aliases.length > 0) return { ok: false, problems: ordered([...syntax.drafts, ...aliases].map(locate)) };

  const envProblems = interpolateDocument(doc, env, { resolvePlain });
  const drafts: ProblemDraft[] = [...syntax.drafts, ...envProblems];

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    drafts.push({ path: [], message: `cannot read the YAML: ${lowerFirst(reason)}` });
    return { ok: false, problems: ordered(drafts.map(locate)) };
  }
  if (data === null || data === undefined) {
    drafts.push({ path: [], message: 'the file is empty; expected an object with at least listeners and routes' });
    return { ok: false, problems: ordered(drafts.map(locate)) };
  }

  const parsed = configSchema.safeParse(data, { error: readableIssueMessage, reportInput: true });
  const later = [...(parsed.success ? [] : problemsFromIssues(parsed.error.issues, configSchema)), ...checkReferences(data)];
  // A value whose variable was not set has already been reported; what else is wrong with it would only repeat that.
  const reported = envProblems.map((p) => p.path);
  drafts.push(...later.filter((d) => !reported.some((path) => isUnder(d.path, path))));

  if (drafts.length > 0 || !parsed.success) return { ok: false, problems: ordered(drafts.map(locate)) };
  return { ok: true, config: parsed.data };
}

function readError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    default:
      return `cannot read the file: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Reads and loads a configuration file; a missing or unreadable file is a problem, not a throw. */
export async function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, problems: [{ path: '', message: readError(error), file: path }] };
  }
  return loadConfigText(text, path, env);
}
