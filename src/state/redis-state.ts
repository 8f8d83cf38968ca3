/**
 * One process's connection to the shared Redis (or Valkey): a command connection, a
 * subscriber connection for the fleet's events (events.ts), the circuit breaker and the
 * counters the metrics show. Standalone, Sentinel and Cluster deployments go through ioredis,
 * which follows Sentinel failovers and Cluster redirections itself.
 *
 * Failure never reaches a request: commands are not queued while disconnected
 * (enableOfflineQueue: false), each has commandTimeout, and the breaker (circuit-breaker.ts)
 * turns a run of failures into immediate fallbacks. ioredis reconnects with the backoff of
 * `reconnect`, forever; when the connection is ready again the breaker's next trial closes it
 * and sharing resumes, without a restart. State changes are logged once each (not per request).
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { lazyModule } from '../lazy-module.js';
import type { Logger } from '../observability/logger.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { RedisConfig } from './config.js';
import { parseEvent, type FleetEvent } from './events.js';
import { defineScripts, type ScriptCommands } from './scripts.js';

export type RedisClient = Redis | Cluster;

/** ioredis, loaded the first time a connection is made (lazy-module.ts). */
const ioredis = lazyModule<typeof import('ioredis')>('ioredis');

/** An event as sent (the sender's id is added). */
export type FleetEventBody = { [K in FleetEvent['t']]: Omit<Extract<FleetEvent, { t: K }>, 'from'> }[FleetEvent['t']];

/** Counters and gauges for the metrics (observability/metrics.ts reads them at scrape time). */
export interface RedisStats {
  /** 1 while the command connection is ready and the circuit closed. */
  readonly up: number;
  readonly circuitOpen: number;
  /** Commands that failed or timed out, and those not sent because Redis was unavailable. */
  errors: number;
  /** Uses that fell back (Redis unavailable) by use: ratelimit, cache. */
  readonly fallbacks: Record<'ratelimit' | 'cache', number>;
  /** Fleet events received from other instances, by type. */
  readonly events: Record<string, number>;
}

/** Thrown (as a rejection) when a command is not sent because Redis is unavailable. */
export class RedisUnavailable extends Error {
  constructor(reason: string) {
    super(`redis unavailable: ${reason}`);
  }
}

function hostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  return { host: text.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(text.slice(i + 1)) };
}

/** ioredis options for the command and subscriber connections of `config`. */
function connectionOptions(config: RedisConfig): RedisOptions {
  const url = new URL(config.url);
  const retry = (times: number): number => Math.min(config.reconnect.maxDelay, config.reconnect.minDelay * 2 ** Math.min(times - 1, 20));
  const options: RedisOptions = {
    connectTimeout: config.connectTimeout,
    commandTimeout: config.commandTimeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: retry,
    // Never give up on Sentinels either: the fleet keeps working locally until they answer.
    sentinelRetryStrategy: retry,
    lazyConnect: false,
  };
  if (url.username !== '') options.username = decodeURIComponent(url.username);
  if (url.password !== '') options.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') options.tls = {};
  const db = Number(url.pathname.slice(1) || '0');
  if (db > 0) options.db = db;
  if (config.sentinels !== undefined) {
    options.sentinels = config.sentinels.map(hostPort);
    options.name = config.sentinelName;
  } else {
    options.host = url.hostname.replace(/^\[|\]$/g, '');
    options.port = Number(url.port || 6379);
  }
  return options;
}

function createClient(config: RedisConfig, role: 'commands' | 'events'): RedisClient {
  const options = connectionOptions(config);
  const { Redis, Cluster } = ioredis();
  if (config.cluster === undefined) return new Redis({ ...options, connectionName: `barbican-${role}` });
  const { retryStrategy, enableOfflineQueue, sentinelRetryStrategy: _s, sentinels: _ss, host: _h, port: _p, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: enableOfflineQueue ?? false,
    clusterRetryStrategy: (times) => (retryStrategy as (t: number) => number)(times),
    redisOptions: { ...redisOptions, connectionName: `barbican-${role}` },
  };
  return new Cluster(config.cluster.map(hostPort), clusterOptions);
}

export class RedisState {
  readonly client: RedisClient & ScriptCommands;
  private readonly subscriber: RedisClient;
  readonly breaker: CircuitBreaker;
  /** Identifies this process in fleet events (its own events are not applied twice). */
  readonly instanceId = randomBytes(8).toString('hex');
  readonly prefix: string;
  readonly channel: string;
  readonly stats: RedisStats;
  private readonly handlers = new Map<FleetEvent['t'], ((event: FleetEvent) => void)[]>();
  private ready = false;
  private closed = false;
  /** Last state logged, so a flapping connection logs each change once. */
  private logged: 'up' | 'down' | null = null;

  constructor(
    readonly config: RedisConfig,
    private readonly logger: Logger,
  ) {
    this.prefix = config.keyPrefix;
    this.channel = `${config.keyPrefix}events`;
    this.breaker = new CircuitBreaker(config.breaker.failures, config.breaker.openTime, (state) => {
      if (state === 'open') this.logger.warn({ redis: this.where(), failures: config.breaker.failures, openTime: config.breaker.openTime }, 'redis circuit open: shared state degraded, falling back to local');
      else this.logger.info({ redis: this.where() }, 'redis circuit closed: shared state restored');
    });
    const self = this;
    this.stats = {
      get up() {
        return self.available() ? 1 : 0;
      },
      get circuitOpen() {
        return self.breaker.state === 'closed' ? 0 : 1;
      },
      errors: 0,
      fallbacks: { ratelimit: 0, cache: 0 },
      events: {},
    };
    this.client = defineScripts(createClient(config, 'commands'));
    this.client.on('ready', () => {
      this.ready = true;
      this.announce('up');
    });
    this.client.on('error', (err: Error) => this.announce('down', err));
    this.client.on('close', () => {
      this.ready = false;
      this.announce('down');
    });
    this.subscriber = createClient(config, 'events');
    this.subscriber.on('error', () => {});
    this.subscriber.on('ready', () => {
      // Subscriptions are restored by ioredis after a reconnection (autoResubscribe).
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const event = parseEvent(message);
      if (event === undefined || event.from === this.instanceId) return;
      this.stats.events[event.t] = (this.stats.events[event.t] ?? 0) + 1;
      for (const handler of this.handlers.get(event.t) ?? []) {
        try {
          handler(event);
        } catch (err) {
          this.logger.error({ err, event: event.t }, 'applying a fleet event failed');
        }
      }
    });
    this.subscriber.subscribe(this.channel).catch(() => {
      // Retried by ioredis on reconnection (autoResubscribe keeps the channel once subscribed);
      // a first subscribe that fails is tried again when the connection is ready.
      this.subscriber.once('ready', () => void this.subscriber.subscribe(this.channel).catch(() => {}));
    });
  }

  /** Where Redis is, for logs (never the password). */
  private where(): string {
    if (this.config.cluster !== undefined) return `cluster ${this.config.cluster.join(',')}`;
    if (this.config.sentinels !== undefined) return `sentinel ${this.config.sentinelName}@${this.config.sentinels.join(',')}`;
    const u = new URL(this.config.url);
    return `${u.hostname}:${u.port || 6379}`;
  }

  private announce(state: 'up' | 'down', err?: Error): void {
    if (this.closed || this.logged === state) return;
    this.logged = state;
    if (state === 'up') this.logger.info({ redis: this.where() }, 'redis connected: sharing state with the fleet');
    else this.logger.warn({ redis: this.where(), err: err?.message }, 'redis unavailable: rate limits and the cache fall back to local until it returns');
  }

  /** Whether a command may be sent now: connected and the circuit not open. No side effect when false. */
  available(): boolean {
    return this.ready && this.breaker.state !== 'open';
  }

  /**
   * Runs one Redis operation under the breaker: rejects at once with RedisUnavailable when the
   * connection is down or the circuit open; counts failures and timeouts.
   */
  run<T>(op: (client: RedisClient & ScriptCommands) => Promise<T>): Promise<T> {
    if (!this.ready || !this.breaker.allows()) {
      this.stats.errors++;
      return Promise.reject(new RedisUnavailable(this.ready ? 'circuit open' : 'not connected'));
    }
    return op(this.client).then(
      (value) => {
        this.breaker.success();
        return value;
      },
      (err: unknown) => {
        this.stats.errors++;
        this.breaker.failure();
        throw err;
      },
    );
  }

  /** Announces `event` to the other instances (best effort: lost while Redis is down). */
  publish(event: FleetEventBody): void {
    const message = JSON.stringify({ ...event, from: this.instanceId });
    this.run((c) => c.publish(this.channel, message)).catch(() => {});
  }

  /** Calls `handler` for every event of type `t` from another instance. */
  on<T extends FleetEvent['t']>(t: T, handler: (event: Extract<FleetEvent, { t: T }>) => void): void {
    const list = this.handlers.get(t) ?? [];
    list.push(handler as (event: FleetEvent) => void);
    this.handlers.set(t, list);
  }

  /** Removes every handler (a runtime being replaced). */
  off(t: FleetEvent['t'], handler: (event: never) => void): void {
    const list = this.handlers.get(t);
    if (list === undefined) return;
    const i = list.indexOf(handler as (event: FleetEvent) => void);
    if (i !== -1) list.splice(i, 1);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ready = false;
    this.client.disconnect();
    this.subscriber.disconnect();
  }
}
