// @ts-check
'use strict';
const { stamped } = require('./lib/env');

/**
 * The chart of accounts of a pay-as-you-go asset financier. Codes are what services post to (look
 * them up by code, never by id). Control accounts (isControl) are only posted with a sub-ledger:
 * every line on them carries the loan accountId.
 *
 * Typical postings:
 * - sale on credit:        Dr 1200 loans receivable / Cr 4100 sales revenue (+ Cr 2600 tax); Dr 5100 COGS / Cr 1300 inventory
 * - mobile-money payment:  Dr 1100 clearing / Cr 1200 loans receivable (overpayment: Cr 2100 customer credit)
 * - unmatched money:       Dr 1100 clearing / Cr 2200 suspense; matched later: Dr 2200 / Cr 1200
 * - agent cash:            Dr 1120 cash in transit / Cr 1200; remitted: Dr 1110 or 1130 / Cr 1120
 * - fee, penalty:          Dr 1200 / Cr 4300 or 4400
 * - write-off:             Dr 5200 bad-debt expense (or 1290 allowance) / Cr 1200
 * - refund:                Dr 2100 or 2200 / Cr 2400 refunds payable; paid out: Dr 2400 / Cr 1100 or 1130
 * - commission earned:     Dr 5300 / Cr 2500; paid: Dr 2500 / Cr 1130
 * - provider charges:      Dr 5400 / Cr 1100
 */
/** @type {{ code: string, name: string, type: 'asset'|'liability'|'equity'|'income'|'expense', normalBalance: 'debit'|'credit', isControl?: boolean, description: string }[]} */
const LEDGER_ACCOUNTS = [
  {
    code: '1100',
    name: 'Mobile money clearing',
    type: 'asset',
    normalBalance: 'debit',
    description: 'Money received on mobile-money rails, until settled to the bank',
  },
  { code: '1110', name: 'Cash on hand', type: 'asset', normalBalance: 'debit', description: 'Cash held in offices' },
  { code: '1120', name: 'Agent cash in transit', type: 'asset', normalBalance: 'debit', description: 'Cash collected by field agents and not yet remitted' },
  { code: '1130', name: 'Bank', type: 'asset', normalBalance: 'debit', description: 'Bank accounts' },
  {
    code: '1200',
    name: 'Loans receivable',
    type: 'asset',
    normalBalance: 'debit',
    isControl: true,
    description: 'Amounts customers owe on their accounts (sub-ledger: accounts)',
  },
  {
    code: '1290',
    name: 'Allowance for credit losses',
    type: 'asset',
    normalBalance: 'credit',
    description: 'Contra-asset: provision against loans receivable',
  },
  { code: '1300', name: 'Inventory', type: 'asset', normalBalance: 'debit', description: 'Devices and kits in stock' },
  {
    code: '2100',
    name: 'Customer credit balances',
    type: 'liability',
    normalBalance: 'credit',
    isControl: true,
    description: 'Overpayments held for customers (sub-ledger: accounts)',
  },
  {
    code: '2200',
    name: 'Suspense - unmatched payments',
    type: 'liability',
    normalBalance: 'credit',
    description: 'Money received that is not yet matched to an account',
  },
  {
    code: '2300',
    name: 'Deferred revenue',
    type: 'liability',
    normalBalance: 'credit',
    description: 'Unearned income: money received for what is not yet delivered or earned',
  },
  { code: '2400', name: 'Refunds payable', type: 'liability', normalBalance: 'credit', description: 'Approved refunds not yet paid out' },
  { code: '2500', name: 'Commission payable', type: 'liability', normalBalance: 'credit', description: 'Commission earned by agents and not yet paid' },
  { code: '2600', name: 'Tax payable', type: 'liability', normalBalance: 'credit', description: 'Sales tax / VAT collected' },
  { code: '3100', name: 'Retained earnings', type: 'equity', normalBalance: 'credit', description: 'Accumulated results of closed periods' },
  { code: '4100', name: 'Sales revenue', type: 'income', normalBalance: 'credit', description: 'Revenue from assets sold' },
  { code: '4200', name: 'Interest income', type: 'income', normalBalance: 'credit', description: 'Financing income on credit sales' },
  { code: '4300', name: 'Fee income', type: 'income', normalBalance: 'credit', description: 'Account fees' },
  { code: '4400', name: 'Penalty income', type: 'income', normalBalance: 'credit', description: 'Late-payment penalties' },
  {
    code: '4500',
    name: 'Recoveries on written-off accounts',
    type: 'income',
    normalBalance: 'credit',
    description: 'Money received on accounts already written off',
  },
  { code: '5100', name: 'Cost of goods sold', type: 'expense', normalBalance: 'debit', description: 'Cost of the assets sold' },
  { code: '5200', name: 'Bad-debt expense', type: 'expense', normalBalance: 'debit', description: 'Write-offs and provisions for credit losses' },
  { code: '5300', name: 'Commission expense', type: 'expense', normalBalance: 'debit', description: 'Agent commissions earned' },
  { code: '5400', name: 'Payment processing charges', type: 'expense', normalBalance: 'debit', description: 'Mobile-money and bank charges' },
];

/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface) {
    await queryInterface.bulkInsert(
      'ledgerAccounts',
      stamped(
        LEDGER_ACCOUNTS.map((a) => ({
          code: a.code,
          name: a.name,
          type: a.type,
          normalBalance: a.normalBalance,
          description: a.description,
          parentId: null,
          isControl: a.isControl === true,
          isActive: true,
          version: 0,
        })),
      ),
      { ignoreDuplicates: true },
    );
  },
  async down(queryInterface) {
    // Refused by the database (RESTRICT) once journal lines use these accounts, as it should be.
    await queryInterface.bulkDelete('ledgerAccounts', { code: LEDGER_ACCOUNTS.map((a) => a.code) });
  },
};
