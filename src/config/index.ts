/** The configuration module's public API: load a file, report its problems, know its shape. */
export { loadConfigFile, loadConfigText, type LoadResult } from './load.js';
export { formatProblem, formatProblems, type ConfigProblem } from './errors.js';
export { interpolateString, type Env } from './interpolate.js';
export { configSchema, type Config } from './schema.js';
export { parseDuration, parseSize } from './units.js';
