import { expect } from 'chai';
import { SystemLog } from '../../src/modules/audit/models';
import { call } from '../lending/support';

/**
 * What every kind's rejection leaves (rejectPending in src/platform/approvals/kit.ts): one audit
 * row from pending to rejected with the reason, and a second decision refused as already decided.
 */
export async function expectRejectedOnce(kind: { path: string; action: string; entity: string }, id: number, reason: string, token: string): Promise<void> {
  const rows = await SystemLog.findAll({ where: { action: kind.action, entityId: id } });
  expect(rows.map((r) => [r.entity, r.oldValues, r.newValues])).to.deep.equal([[kind.entity, { status: 'pending' }, { status: 'rejected', reason }]]);
  const again = await call('post', `${kind.path}/${id}/reject`, token, { reason: 'once more' });
  expect(again.status).to.equal(409);
  expect(again.body).to.include({ currentStatus: 'rejected' });
  expect(again.body.type).to.match(/already-decided$/);
}
