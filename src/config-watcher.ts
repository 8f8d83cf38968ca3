/**
 * `barbican --watch`: reload when the config file changes. The file is polled (fs.watchFile,
 * one stat a second) rather than watched with inotify: editors and `kubectl` replace files by
 * rename and Kubernetes swaps a ConfigMap's symlinks, which an inotify watch on the old inode
 * misses, while a stat of the path always sees the file now behind it.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';

/** How often the file is looked at. */
const POLL_MS = 1000;
/** A change waits this long for more: an editor's save can be several writes. */
const SETTLE_MS = 300;

/** Calls `onChange` once for each settled change of `file` (content, size or the file behind the path). */
export function watchConfigFile(file: string, onChange: () => void): () => void {
  let timer: NodeJS.Timeout | null = null;
  const listener = (now: Stats, before: Stats): void => {
    // A missing file (mid-replace, or deleted) is not a config to load; its return is a change.
    if (now.nlink === 0 && now.mtimeMs === 0) return;
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, SETTLE_MS);
    timer.unref();
  };
  watchFile(file, { interval: POLL_MS, persistent: false }, listener);
  return () => {
    if (timer !== null) clearTimeout(timer);
    unwatchFile(file, listener);
  };
}
