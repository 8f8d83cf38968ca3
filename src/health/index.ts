/** Public API of health/: active checks and passive outlier detection, with their config. */
export { createActiveChecker } from './active-checker.js';
export type { ActiveChecker, ActiveCheckerOptions } from './active-checker.js';
export { createOutlierDetector, maxEjectedTargets } from './outlier-detector.js';
export type { OutlierDetector } from './outlier-detector.js';
export { parseStatusRange, isInStatusRange } from './status-range.js';
export type { StatusRange } from './status-range.js';
export { healthCheckSchema, outlierDetectionSchema } from './config.js';
export type { HealthCheckConfig, OutlierDetectionConfig } from './config.js';
export { applyRemoteEjection } from './shared-ejection.js';
