import type IORedis from 'ioredis';

/**
 * A target's pause, shared by every worker process through one Redis key with an expiry: when
 * one process learns that Salesforce's daily API limit is reached (REQUEST_LIMIT_EXCEEDED) or its
 * usage is past the configured share (Sforce-Limit-Info), all of them stop leasing that target's
 * rows until the key expires, and GET /integrations/status (any API process) reports it. The key
 * expiring is the only way a pause ends by itself, so a crashed process never leaves a target
 * paused for ever. Without Redis (the demo: one process) the pause lives in the process.
 */
export type PauseKind = 'limit' | 'usage';

export interface Pause {
  kind: PauseKind;
  reason: string;
  /** When the pause ends (epoch ms). */
  until: number;
}

export interface SharedPause {
  get(): Promise<Pause | undefined>;
  /** Pauses every process for `ms` (a later set replaces an earlier one). */
  set(kind: PauseKind, reason: string, ms: number): Promise<void>;
  /** Ends a pause of this kind (e.g. a write was accepted: the limit is lifted); another kind is kept. */
  clear(kind: PauseKind): Promise<void>;
}

// KEYS[1] = key; ARGV[1] = kind. Deletes the key only if it holds a pause of that kind (atomic).
const CLEAR = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).kind == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export function redisPause(redis: IORedis, key: string): SharedPause {
  return {
    async get() {
      const [[, value], [, pttl]] = (await redis.multi().get(key).pttl(key).exec()) as [[unknown, string | null], [unknown, number]];
      if (!value || pttl <= 0) return undefined;
      const { kind, reason } = JSON.parse(value) as { kind: PauseKind; reason: string };
      return { kind, reason, until: Date.now() + pttl };
    },
    async set(kind, reason, ms) {
      await redis.set(key, JSON.stringify({ kind, reason }), 'PX', Math.max(1, Math.round(ms)));
    },
    async clear(kind) {
      await redis.eval(CLEAR, 1, key, kind);
    },
  };
}

/** The demo's pause: the same contract inside one process. */
export function localPause(): SharedPause {
  let pause: Pause | undefined;
  return {
    async get() {
      if (pause && pause.until <= Date.now()) pause = undefined;
      return pause;
    },
    async set(kind, reason, ms) {
      pause = { kind, reason, until: Date.now() + ms };
    },
    async clear(kind) {
      if (pause?.kind === kind) pause = undefined;
    },
  };
}
