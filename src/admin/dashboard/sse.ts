/**
 * GET /api/events: the dashboard's live feed as Server-Sent Events. One `snapshot` event per
 * sample (a whole Snapshot as one line of JSON, so `data:` never spans lines), the newest one
 * at once on connect. EventSource reconnects by itself; `retry` sets how soon.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardSampler } from './sampler.js';
import type { Snapshot } from './snapshot.js';

const RETRY_MS = 2000;

/** One SSE event: `id`, `event` and a single `data` line (JSON has no raw newlines). */
export function formatEvent(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Streams the sampler's snapshots to `res` until the client goes away. */
export function streamEvents(req: IncomingMessage, res: ServerResponse, sampler: DashboardSampler, head: boolean): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  if (head) {
    res.end();
    return;
  }
  let id = 0;
  const send = (s: Snapshot): void => {
    res.write(formatEvent(++id, 'snapshot', s));
  };
  res.write(`retry: ${RETRY_MS}\n\n`);
  if (sampler.latest !== undefined) send(sampler.latest);
  const unsubscribe = sampler.subscribe(send);
  const done = (): void => {
    unsubscribe();
  };
  req.socket.setTimeout(0);
  res.on('close', done);
  res.on('error', done);
}
