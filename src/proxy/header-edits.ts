/**
 * `requestHeaders` / `responseHeaders` of a route, compiled once: remove, then set (replace),
 * then add (append), on a flat [name, value, …] list.
 */
import type { HeaderEditsConfig } from '../routing/config.js';

export type HeaderEdit = (headers: string[]) => string[];

export function compileHeaderEdits(config: HeaderEditsConfig | undefined): HeaderEdit | undefined {
  if (config === undefined) return undefined;
  const drop = new Set<string>([...config.remove, ...Object.keys(config.set)].map((n) => n.toLowerCase()));
  const append: string[] = [];
  for (const [name, value] of Object.entries(config.set)) append.push(name, value);
  for (const [name, value] of Object.entries(config.add)) append.push(name, value);
  if (drop.size === 0 && append.length === 0) return undefined;
  return (headers) => {
    let out = headers;
    if (drop.size > 0) {
      out = [];
      for (let i = 0; i < headers.length; i += 2) {
        if (!drop.has(headers[i]!.toLowerCase())) out.push(headers[i]!, headers[i + 1]!);
      }
    }
    for (let i = 0; i < append.length; i++) out.push(append[i]!);
    return out;
  };
}
