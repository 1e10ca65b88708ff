import { expect } from 'chai';
import { Employee } from '../../src/modules/access/models';
import { createPrincipalLoader, invalidatePrincipal, readPrincipal } from '../../src/modules/access/principal-loader';
import { createEmployee } from '../support/app';

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
