/**
 * How far V8 lets the old generation grow past what survived the last full collection before it
 * starts the next one (mark-compact).
 *
 * V8 chooses that factor from how fast it marks against how fast the program fills the old
 * generation, aiming at 97% of the time for the program. With concurrent marking the marking
 * runs on helper threads, so the speed it measures on the main thread is far above the real
 * cost: `--trace-gc-verbose` under POST load here reads "factor 1.1 based on mu=0.970,
 * speed_ratio=1695 (gc=484716, mutator=286)". With its least factor, the objects of connections
 * that came and went (a few hundred KB per 64 connections) start a full collection every
 * 4–8 s. On a proxy whose cores are busy (pinned to one, or one worker per core) the helper
 * threads do not find idle cores: they take 60–75 ms of CPU from the event loop within ~30 ms,
 * then a 6–9 ms pause, and requests in flight wait 20–34 ms. In 24 paired rounds of 2 s
 * (docs/benchmarks.md, session 8) every round whose p99 was over 2.5× nginx's held a full
 * collection; no round without one was.
 *
 * A fixed factor of 4 (V8's own largest) makes those collections several times rarer (none in
 * 25 s of the same load) for an old generation of up to 4× the live heap (~17 MB live here).
 * A `--heap-growing-percent` given to node by the operator wins.
 */
import v8 from 'node:v8';

/** V8's factor is 1 + percent / 100: 4×, the largest V8 chooses by itself. */
export const HEAP_GROWING_PERCENT = 300;

const OPERATOR_FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/** Sets the heap growing factor unless node was started with one; returns whether it did. */
export function tuneHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => OPERATOR_FLAG.test(arg))) return false;
  // An integer flag read each time V8 computes the next limit: safe to set while running,
  // unlike the flags that shape how the heap is set up.
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
