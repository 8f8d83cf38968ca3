/**
 * API keys, stored hashed: the keys file holds SHA-256 digests only, so a leaked file does not
 * leak keys. A presented key is hashed and compared with every stored digest in constant time
 * (timingSafeEqual, no early exit), so timing does not reveal how much of a digest matched.
 *
 * Keys file: one lowercase or uppercase hex SHA-256 digest per line, optionally `name:digest`;
 * blank lines and `#` comments allowed. Make a key and its line with:
 *
 *   KEY=$(openssl rand -hex 32); printf 'ci:%s\n' "$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)"
 *
 * A request without a valid key gets 401 (RFC 9110 §15.5.2) with a `WWW-Authenticate: ApiKey`
 * challenge naming where the key goes (the scheme is not registered; RFC 9110 §11.6.1 requires
 * a challenge with every 401).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readAccessFile, throwFileProblems, type FileProblem } from './access-config-error.js';
import type { ApiKeysConfig } from './config.js';
import { denial, type AccessContext, type AccessRequest, type AccessRule, type RuleVerdict } from './request.js';

export interface ApiKeyList {
  readonly digests: readonly Buffer[];
  /** Name per digest (the hex digest itself when the line has no name). */
  readonly names: readonly string[];
  readonly problems: readonly FileProblem[];
}

const LINE = /^(?:([^:\s]+):)?([0-9a-fA-F]{64})$/;

export function parseApiKeys(text: string): ApiKeyList {
  const digests: Buffer[] = [];
  const names: string[] = [];
  const problems: FileProblem[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (m === null) {
      // Not quoted back: the line might be a key written by mistake instead of its digest.
      problems.push({ line: i + 1, message: 'expected a SHA-256 hex digest (64 hex digits), optionally prefixed by name:' });
      continue;
    }
    const hex = m[2]!.toLowerCase();
    if (seen.has(hex)) {
      problems.push({ line: i + 1, message: 'this digest is listed twice' });
      continue;
    }
    seen.add(hex);
    digests.push(Buffer.from(hex, 'hex'));
    names.push(m[1] ?? hex);
  }
  if (digests.length === 0 && problems.length === 0) problems.push({ line: 1, message: 'no keys in the file' });
  return { digests, names, problems };
}

/** Index of the digest of `key` in `digests`, or -1; every digest is compared. */
export function matchApiKey(key: string, digests: readonly Buffer[]): number {
  const digest = createHash('sha256').update(key).digest();
  let found = -1;
  for (let i = 0; i < digests.length; i++) if (timingSafeEqual(digest, digests[i]!)) found = i;
  return found;
}

function fromQuery(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  return new URLSearchParams(query).get(name) ?? undefined;
}

export function createApiKeysRule(config: ApiKeysConfig, keyPath: string): AccessRule {
  const list = parseApiKeys(readAccessFile(`${keyPath}.keysFile`, config.keysFile));
  throwFileProblems(`${keyPath}.keysFile`, config.keysFile, list.problems);
  const header = config.header.toLowerCase();
  const query = config.query;
  const challenge = ['WWW-Authenticate', query === undefined ? `ApiKey header="${header}"` : `ApiKey header="${header}", query="${query}"`];
  return {
    check(req: AccessRequest, ctx: AccessContext): RuleVerdict {
      const key = req.header(header) ?? (query === undefined ? undefined : fromQuery(req.query, query));
      if (key === undefined || key === '') return denial('UNAUTHORIZED', 'api key: none given', challenge);
      const index = matchApiKey(key, list.digests);
      if (index === -1) return denial('UNAUTHORIZED', 'api key: unknown key', challenge);
      ctx.apiKey = list.names[index];
      return undefined;
    },
  };
}
