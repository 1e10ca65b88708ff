import { randomBytes } from 'node:crypto';
import type IORedis from 'ioredis';

/**
 * A counting semaphore shared by every process through Redis: at most `limit` holders at once,
 * across all workers (NetSuite's concurrency limit is per account, not per process; Bull's
 * limiter is a rate, not a concurrency). The holders are the members of a sorted set scored by
 * their lease's expiry (Redis server time, so clocks of the workers never matter): a process
 * killed while holding a slot loses it when its lease runs out, never holds it for ever.
 * Acquire and release are single Lua scripts (atomic). Without Redis (the demo) the semaphore
 * is per process.
 */
export interface Semaphore {
  /** Waits for a slot (at most `waitMs`, then throws SemaphoreTimeout); returns its release. */
  acquire(): Promise<() => Promise<void>>;
}

export class SemaphoreTimeout extends Error {
  constructor(name: string, waitMs: number) {
    super(`no ${name} slot free within ${waitMs} ms`);
    this.name = 'SemaphoreTimeout';
  }
}

export interface SemaphoreOptions {
  /** The Redis key (one per remote system and account). */
  key: string;
  limit: number;
  /** How long a slot is held at most; longer than any request it guards. */
  leaseMs: number;
  /** How long acquire waits before giving up. */
  waitMs: number;
}

// KEYS[1] = set; ARGV = token, limit, leaseMs. Drops expired leases, then takes a slot if one is free.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2)
  return 1
end
return 0`;

export function redisSemaphore(redis: IORedis, options: SemaphoreOptions): Semaphore {
  return {
    async acquire() {
      const token = randomBytes(12).toString('hex');
      const deadline = Date.now() + options.waitMs;
      let pause = 5;
      for (;;) {
        const got = Number(await redis.eval(ACQUIRE, 1, options.key, token, options.limit, options.leaseMs));
        if (got === 1) {
          let released = false;
          return async () => {
            if (released) return;
            released = true;
            await redis.zrem(options.key, token);
          };
        }
        if (Date.now() >= deadline) throw new SemaphoreTimeout(options.key, options.waitMs);
        // Polling with a little jitter, growing to 50 ms: slots free as fast as requests answer.
        await sleep(pause + Math.random() * pause);
        pause = Math.min(50, pause * 2);
      }
    },
  };
}

/** The demo's semaphore: the same contract inside one process. */
export function localSemaphore(limit: number, waitMs: number, name = 'local'): Semaphore {
  let held = 0;
  const waiting: (() => void)[] = [];
  return {
    async acquire() {
      if (held >= limit) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting.splice(waiting.indexOf(wake), 1);
            reject(new SemaphoreTimeout(name, waitMs));
          }, waitMs);
          const wake = () => {
            clearTimeout(timer);
            resolve();
          };
          waiting.push(wake);
        });
      } else {
        held++;
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        if (next) next();
        else held--;
      };
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
