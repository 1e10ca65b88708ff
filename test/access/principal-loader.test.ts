import { expect } from 'chai';
import { Employee } from '../../src/modules/access/models';
import { randomUUID } from 'node:crypto';
import IORedis from 'ioredis';
import {
  PRINCIPAL_SHARED_TTL_MS,
  PRINCIPAL_TTL_MS,
  createPrincipalLoader,
  invalidatePrincipal,
  liveSubscriptionsToPrincipalChanges,
  readPrincipal,
  sharePrincipalChanges,
} from '../../src/modules/access/principal-loader';
import { createLogger } from '../../src/platform/logging/logger';
import { createEmployee } from '../support/app';
import { TEST_REDIS_URL } from '../support/env';
import { FaultProxy } from '../support/fault-proxy';

/** The real read (the database is the real one), counted. */
function countedRead(): { reads: () => number; read: typeof readPrincipal } {
  let reads = 0;
  return {
    reads: () => reads,
    read: (employeeId) => {
      reads++;
      return readPrincipal(employeeId);
    },
  };
}

describe('principal loader: one read for concurrent requests, none kept across a change', () => {
  it('concurrent requests of one employee whose entry is missing share one read', async () => {
    const { employee } = await createEmployee('admin');
    const counter = countedRead();
    const load = createPrincipalLoader(counter.read);
    const principals = await Promise.all(Array.from({ length: 20 }, () => load(employee.id)));
    expect(counter.reads()).to.equal(1);
    expect(new Set(principals).size).to.equal(1);
    expect(principals[0]!.employeeId).to.equal(employee.id);
    await load(employee.id);
    expect(counter.reads()).to.equal(1);
  });

  it('a change announced while a read is in flight: later requests read again, and the older read is not cached', async () => {
    const { employee } = await createEmployee('admin');
    const load = createPrincipalLoader();
    const before = load(employee.id);
    await Employee.update({ isActive: false }, { where: { id: employee.id } });
    invalidatePrincipal(employee.id);
    const after = load(employee.id);
    expect(after).to.not.equal(before);
    expect(await after).to.equal(null);
    await before;
    expect(await load(employee.id)).to.equal(null);
  });

  it('a failed read is not kept: the next request reads again', async () => {
    const { employee } = await createEmployee('admin');
    let failures = 1;
    const load = createPrincipalLoader((employeeId) => (failures-- > 0 ? Promise.reject(new Error('database gone')) : readPrincipal(employeeId)));
    const first = await Promise.allSettled([load(employee.id), load(employee.id)]);
    expect(first.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect((await load(employee.id))!.employeeId).to.equal(employee.id);
  });
});

describe('principal loader: kept longer while every change is heard', () => {
  const logger = createLogger('silent');
  const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
    const end = Date.now() + 10_000;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('while the process hears the announcements an entry is used for the shared TTL; not hearing them, for the short one', async () => {
    const { employee } = await createEmployee('admin');
    let clock = Date.now();
    let hears = true;
    const counter = countedRead();
    const load = createPrincipalLoader(counter.read, { now: () => clock, hears: () => hears });
    await load(employee.id);
    clock += PRINCIPAL_SHARED_TTL_MS - 1000;
    await load(employee.id);
    expect(counter.reads()).to.equal(1);
    clock += 2000;
    await load(employee.id);
    expect(counter.reads()).to.equal(2);
    // The subscription drops: the same entry is now too old at the short TTL, whenever it was read.
    hears = false;
    clock += PRINCIPAL_TTL_MS - 1000;
    await load(employee.id);
    expect(counter.reads()).to.equal(2);
    clock += 2000;
    await load(employee.id);
    expect(counter.reads()).to.equal(3);
  });

  it('a subscription counts from its confirmed SUBSCRIBE until its connection closes; an announcement from another process drops the entry', async () => {
    const { employee } = await createEmployee('admin');
    const channel = `amt-test-principals-${randomUUID().slice(0, 8)}`;
    const proxy = await FaultProxy.forUrl(TEST_REDIS_URL).start();
    const redis = new IORedis(proxy.url(TEST_REDIS_URL), { maxRetriesPerRequest: 1, lazyConnect: true });
    redis.on('error', () => undefined);
    const other = new IORedis(TEST_REDIS_URL);
    let sharing: { close(): void } | undefined;
    try {
      const baseline = liveSubscriptionsToPrincipalChanges();
      sharing = sharePrincipalChanges(redis, channel, { subscribe: true, logger });
      await until('the subscription to count', () => liveSubscriptionsToPrincipalChanges() === baseline + 1);

      const counter = countedRead();
      const load = createPrincipalLoader(counter.read, { hears: () => true });
      await load(employee.id);
      await other.publish(channel, String(employee.id));
      await until('the announcement to drop the entry', async () => (await load(employee.id), counter.reads() === 2));

      await proxy.cut();
      await until('the closed subscription to stop counting', () => liveSubscriptionsToPrincipalChanges() === baseline);
      await proxy.heal();
      await until('the resubscribed connection to count again', () => liveSubscriptionsToPrincipalChanges() === baseline + 1);
      sharing.close();
      sharing = undefined;
      expect(liveSubscriptionsToPrincipalChanges()).to.equal(baseline);
    } finally {
      sharing?.close();
      redis.disconnect();
      other.disconnect();
      await proxy.heal();
      await proxy.stop();
    }
  });
});
