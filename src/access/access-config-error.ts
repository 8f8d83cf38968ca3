/**
 * A problem found while building a route's access rules from the files they name (htpasswd,
 * keys, public keys). The schema cannot see inside those files, so these come when the runtime
 * is built (start and reload), each naming the key path, the file and the line.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export class AccessConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccessConfigError';
  }
}

/** One bad line of a credentials file (the line's secret part is never quoted). */
export interface FileProblem {
  line: number;
  message: string;
}

/**
 * Reads a file named by `keyPath` (resolved against the working directory, like the TLS files),
 * or throws an AccessConfigError naming the key and the file.
 */
export function readAccessFile(keyPath: string, file: string): string {
  const path = resolve(file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new AccessConfigError(`${keyPath}: cannot read ${path}: ${code}`);
  }
}

/** Throws one error listing every bad line, `keyPath: file:line: message` each. */
export function throwFileProblems(keyPath: string, file: string, problems: readonly FileProblem[]): void {
  if (problems.length === 0) return;
  const path = resolve(file);
  throw new AccessConfigError(problems.map((p) => `${keyPath}: ${path}:${p.line}: ${p.message}`).join('\n'));
}
