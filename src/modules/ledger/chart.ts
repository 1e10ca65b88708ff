/** Ledger account codes the system posts to (seeders/20261124000150-reference-ledger-accounts.js). */
export const LEDGER = {
  mobileMoneyClearing: '1100',
  cashOnHand: '1110',
  agentCashInTransit: '1120',
  bank: '1130',
  loansReceivable: '1200',
  inventory: '1300',
  customerCreditBalances: '2100',
  suspense: '2200',
  refundsPayable: '2400',
  commissionPayable: '2500',
  salesRevenue: '4100',
  interestIncome: '4200',
  feeIncome: '4300',
  penaltyIncome: '4400',
  recoveries: '4500',
  badDebtExpense: '5200',
  commissionExpense: '5300',
  earlyPayoffDiscounts: '5500',
} as const;

export type LedgerCode = (typeof LEDGER)[keyof typeof LEDGER];
