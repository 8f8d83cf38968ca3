/**
 * Per-route filters plug into fixed phases of the pipeline (docs/architecture.md). Each hook is
 * optional; a hook that can end the request returns a FilterResult, never a bare boolean.
 */
import type { Session } from './session.js';

export type FilterResult =
  | { kind: 'continue' }
  | { kind: 'respond'; status: number; headers: string[]; body: string };

export interface Filter {
  readonly name: string;
  /** After routing, before anything is sent upstream. May answer the request itself. */
  onRequest?(session: Session): FilterResult;
  /** Edits the header list sent upstream (flat [name, value, …]); returns the list to use. */
  onUpstreamRequest?(session: Session, headers: string[]): string[];
  /** Edits the header list sent to the client, for every response of the route. */
  onResponse?(session: Session, headers: string[]): string[];
}

/** Runs the route's onResponse filters over the header list sent to the client. */
export function applyResponseFilters(session: Session, headers: string[]): string[] {
  const filters = session.route?.filters;
  if (filters !== undefined) for (const f of filters) if (f.onResponse) headers = f.onResponse(session, headers);
  return headers;
}
