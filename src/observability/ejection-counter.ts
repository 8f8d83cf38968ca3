/**
 * Counts outlier ejections without teaching the health module about metrics: the detector is
 * wrapped where the runtime builds it, and an ejection (onFailure returning true) is counted.
 */
import type { OutlierDetector } from '../health/index.js';
import { sharedMetrics } from './metrics.js';

export function countEjections(upstream: string, detector: OutlierDetector): OutlierDetector {
  return {
    onSuccess: (target, now) => detector.onSuccess(target, now),
    onFailure(target, now) {
      const ejected = detector.onFailure(target, now);
      if (ejected) sharedMetrics.ejected(upstream, target);
      return ejected;
    },
  };
}
