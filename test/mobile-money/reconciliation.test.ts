import { expect } from 'chai';
import { MobileMoneyTransaction, Payment, UnmatchedPayment } from '../../src/modules/payments/models';
import { DataImport } from '../../src/modules/integrations/models';
import { api, loginAs } from '../support/app';
import { createMarket, expectBooksBalanced, openAccount, type Market } from '../support/lending';
import { c2bBody, newCallbackClient, sendAs, transId, type CallbackClient } from '../fakes/mpesa';

const CONFIRM = '/mobile-money/mpesa/confirmation';

/** Each test reconciles its own window of M-Pesa time, so no other test's transactions fall in it. */
let windowSeq = 0;
function timeWindow(): (minute: number) => Date {
  windowSeq++;
  const start = Date.UTC(2024, 0, 1 + windowSeq * 3, 6, 0, 0);
  return (minute) => new Date(start + minute * 60_000);
}

/** 'YYYY-MM-DD HH:mm:ss' East Africa Time, as M-Pesa statements write it. */
const eat = (d: Date) => new Date(d.getTime() + 3 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');

async function upload(token: string, csv: string, query = '', provider = 'mpesa') {
  return (await api())
    .post(`/api/v1/mobile-money/${provider}/statements${query}`)
    .set('Authorization', `Bearer ${token}`)
    .set('Content-Type', 'text/csv')
    .send(csv);
}

describe('mobile money: statement reconciliation', () => {
  let market: Market;
  let daraja: CallbackClient;
  let token: string;
  before(async () => {
    market = await createMarket({ businessDate: '2026-11-20' });
    daraja = await newCallbackClient();
    ({ token } = await loginAs('finance'));
  });

  it('both directions: statement lines unknown to AMT are ingested; AMT transactions not on the statement and differing amounts are flagged; re-upload is idempotent', async function () {
    this.timeout(60000);
    const at = timeWindow();
    const account = await openAccount(market, { price: '5000.00', downPayment: '500.00', duration: 5, startDate: '2026-11-20' });
    // AMT heard of three by callback: one on the statement as is, one with another amount, one not on it at all.
    const same = c2bBody({ billRef: account.accountNumber, amount: '500.00', at: at(1) });
    const differs = c2bBody({ billRef: account.accountNumber, amount: '200.00', at: at(2) });
    const absent = c2bBody({ billRef: account.accountNumber, amount: '50.00', at: at(3) });
    for (const b of [same, differs, absent]) expect((await sendAs(daraja, CONFIRM, b)).status).to.equal(200);
    // On the statement only: one for the account, one nobody can match.
    const missed = transId();
    const stray = transId();
    const csv = [
      'transactionId,completedAt,amount,accountReference,msisdn',
      `${same.TransID},${at(1).toISOString()},500.00,${account.accountNumber},254700000001`,
      `${differs.TransID},${at(2).toISOString()},250.00,${account.accountNumber},254700000001`,
      `${missed},${at(4).toISOString()},120.00,${account.accountNumber},254700000002`,
      `${stray},${at(5).toISOString()},80.00,NOBODY-99,254700000003`,
    ].join('\n');

    const res = await upload(token, csv);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ provider: 'mpesa', reupload: false, statementLines: 4 });
    expect(res.body.summary).to.deep.equal({ matched: 1, missingInAmt: 2, missingInStatement: 1, amountMismatches: 1 });
    expect(res.body.missingInAmt.map((m: { transactionId: string; status: string; line: number }) => [m.line, m.transactionId, m.status])).to.deep.equal([
      [4, missed, 'posted'],
      [5, stray, 'unmatched'],
    ]);
    expect(res.body.missingInStatement).to.deep.equal([
      { transactionId: absent.TransID, amount: '50.00', transTime: at(3).toISOString(), status: 'posted', paymentId: res.body.missingInStatement[0].paymentId },
    ]);
    expect(res.body.amountMismatches[0]).to.include({ line: 3, transactionId: differs.TransID, statementAmount: '250.00', amtAmount: '200.00' });

    // the missed one is now a payment; the stray one waits in suspense; flagged ones are marked for review
    expect(await Payment.count({ where: { transactionRef: missed } })).to.equal(1);
    const strayRow = (await MobileMoneyTransaction.findOne({ where: { provider: 'mpesa', transactionId: stray } }))!;
    expect(await UnmatchedPayment.count({ where: { mobileMoneyTransactionId: strayRow.id, status: 'open' } })).to.equal(1);
    const review = await (await api()).get('/api/v1/mobile-money/transactions?review=true&provider=mpesa&limit=200').set('Authorization', `Bearer ${token}`);
    expect(review.status).to.equal(200);
    const flagged = review.body.data.map((t: { transactionId: string }) => t.transactionId);
    expect(flagged).to.include.members([absent.TransID, differs.TransID]);
    expect(flagged).to.not.include(same.TransID);
    const upload1 = (await DataImport.findByPk(res.body.importId))!;
    expect(upload1).to.include({ status: 'completed', totalRows: 4, importType: 'statement:mpesa' });

    // the same file again: the same differences, nothing posted twice
    const again = await upload(token, csv);
    expect(again.status).to.equal(200);
    expect(again.body).to.include({ reupload: true, importId: res.body.importId });
    expect(again.body.summary).to.deep.equal(res.body.summary);
    expect(await Payment.count({ where: { transactionRef: [same.TransID, differs.TransID, absent.TransID, missed] } })).to.equal(4);
    expect(await UnmatchedPayment.count({ where: { mobileMoneyTransactionId: strayRow.id } })).to.equal(1);
    await expectBooksBalanced([account.id]);
  });

  it("reads M-Pesa's own statement export: preamble, header names, local times, withdrawals and failed rows skipped", async () => {
    const at = timeWindow();
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const ids = [transId(), transId(), transId(), transId()];
    const csv = [
      'Account Holder:,AMT Paybill 600638',
      'Time Period:,2024-01-01 - 2024-01-31',
      '',
      'Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.',
      `${ids[0]},${eat(at(1))},${eat(at(1))},"Pay Bill from 254711111111 - JANE W Acc. ${account.accountNumber}",Completed,"1,200.00",,"51,200.00",true,Pay Bill,254711111111 - JANE WANJIKU,,${account.accountNumber}`,
      `${ids[1]},${eat(at(2))},${eat(at(2))},Business Payment to bank,Completed,,5000.00,46200.00,true,Business Payment,BANK,,`,
      `${ids[2]},${eat(at(3))},${eat(at(3))},Pay Bill,Failed,300.00,,46200.00,true,Pay Bill,254722222222 - X,,${account.accountNumber}`,
      `${ids[3]},${eat(at(4))},${eat(at(4))},Pay Bill,Completed,300.00,,46500.00,true,Pay Bill,254722222222 - PAUL O,,${account.accountNumber}`,
    ].join('\r\n');
    const res = await upload(token, csv, '?fileName=org_600638_statement.csv');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.statementLines).to.equal(2);
    expect(res.body.missingInAmt.map((m: { transactionId: string; status: string }) => [m.transactionId, m.status])).to.deep.equal([
      [ids[0], 'posted'],
      [ids[3], 'posted'],
    ]);
    const first = (await MobileMoneyTransaction.findOne({ where: { provider: 'mpesa', transactionId: ids[0] } }))!;
    expect(first).to.include({ amount: '1200.00', msisdn: '254711111111', payerName: 'JANE WANJIKU', billRefNumber: account.accountNumber });
    expect(first.transTime!.toISOString()).to.equal(at(1).toISOString());
    expect(await MobileMoneyTransaction.count({ where: { provider: 'mpesa', transactionId: [ids[1], ids[2]] } })).to.equal(0);
    await expectBooksBalanced([account.id]);
  });

  it('a malformed line is a 400 naming it, and nothing is reconciled', async () => {
    const at = timeWindow();
    const good = transId();
    const csv = [
      'transactionId,completedAt,amount,accountReference,msisdn',
      `${good},${at(1).toISOString()},100.00,X,2547`,
      `${transId()},yesterday,100.00,X,2547`,
      `${transId()},${at(2).toISOString()},1O0.00,X,2547`,
      `${good},${at(3).toISOString()},100.00,X,2547`,
      `${transId()},${at(4).toISOString()},100.00`,
    ].join('\n');
    const res = await upload(token, csv);
    expect(res.status).to.equal(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).to.deep.equal(['line 3', 'line 4', 'line 5', 'line 6']);
    expect(res.body.errors[0].message).to.contain('yesterday');
    expect(res.body.errors[2].message).to.contain('line 2');
    expect(await MobileMoneyTransaction.count({ where: { provider: 'mpesa', transactionId: good } })).to.equal(0);
    const noHeader = await upload(token, 'a,b,c\n1,2,3');
    expect(noHeader.status).to.equal(400);
    expect(noHeader.body.errors[0].field).to.equal('body');
  });

  it('other providers name the country and write times with an offset', async () => {
    const at = timeWindow();
    const account = await openAccount(market, { startDate: '2026-11-20' });
    const id = `MTN${transId()}`;
    const csv = `transactionId,completedAt,amount,accountReference\n${id},${at(1).toISOString()},60.00,${account.accountNumber}\n`;
    const noCountry = await upload(token, csv, '', 'mtn');
    expect(noCountry.status).to.equal(400);
    expect(noCountry.body.errors[0].field).to.equal('country');
    const local = await upload(token, `transactionId,completedAt,amount\n${id},${eat(at(1))},60.00\n`, `?country=${market.country.code}`, 'mtn');
    expect(local.status).to.equal(400);
    expect(local.body.errors[0].field).to.equal('line 2');
    const res = await upload(token, csv, `?country=${market.country.code}`, 'mtn');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.missingInAmt[0]).to.include({ transactionId: id, status: 'posted' });
  });

  it('needs mobile-money:reconcile (403), a token (401), text/csv (415) and a known provider (400)', async () => {
    const csv = 'transactionId,completedAt,amount\n';
    expect((await (await api()).post('/api/v1/mobile-money/mpesa/statements').set('Content-Type', 'text/csv').send(csv)).status).to.equal(401);
    const { token: agent } = await loginAs('agent', { regionIds: [market.region.id] });
    expect((await upload(agent, csv)).status).to.equal(403);
    const json = await (await api()).post('/api/v1/mobile-money/mpesa/statements').set('Authorization', `Bearer ${token}`).send({ csv });
    expect(json.status).to.equal(415);
    expect((await upload(token, csv, '', 'paypal')).status).to.equal(400);
    const empty = await upload(token, csv);
    expect(empty.status).to.equal(400);
    expect((await upload(token, csv, '?from=2024-01-01T00:00:00Z&to=2023-01-01T00:00:00Z')).status).to.equal(400);
  });
});
