import type { Sequelize, Transaction } from 'sequelize';
import type { ScopedActor } from '../../platform/auth/actor';
import { inRegionScope } from '../../platform/auth/principal';
import type { AppContext } from '../../platform/context';
import { withTransaction } from '../../platform/db/transaction';
import { problems } from '../../platform/http/problem';
import { Decimal, toMoneyString, type MoneyString } from '../../platform/money';
import type { JobQueue } from '../../platform/queue';
import { outstanding } from '../accounts/arrears';
import { Account, AccountUpgrade, ScheduleChange } from '../accounts/models';
import { evenLines, openSchedule, replaceOpenSchedule, type NewScheduleLine } from '../accounts/schedule-change';
import { lockAccount, preparedAccount } from '../accounts/settlement';
import { audit } from '../audit/audit';
import { Payplan, Product, ProductPayplanPricing } from '../catalogue/models';
import { DeviceService } from '../devices/device.service';
import { Device } from '../devices/models';
import type { MintedToken } from '../devices/tokens';
import { LEDGER } from '../ledger/chart';
import { postEntry } from '../ledger/journal.service';
import { Warehouse } from '../organisation/reference.models';

export interface UpgradeInput {
  productId: number;
  /** The plan the new product is priced on; default the account's. */
  payplanId?: number;
  deviceId?: number;
  /** Owed at once (a line due on the business date); default the pricing's down payment. */
  downPayment?: MoneyString;
  reason?: string;
}

export interface Upgraded {
  upgrade: AccountUpgrade;
  account: Account;
  change: ScheduleChange;
  minted: MintedToken[];
}

/**
 * Upgrades (docs/contract-changes.md, "Upgrades"): a product added to an active account that is
 * up to date. The new product's price joins the receivable (Dr 1200 / Cr 4100); its down payment
 * is a line due on the business date, and the rest is spread over the due dates of the open lines,
 * which are superseded by the combined schedule (accounts/schedule-change.ts). Its device is
 * attached (devices' attachLocked: out of stock, activated, the account's credit as its first
 * token). One transaction, the account locked first.
 */
export class UpgradeService {
  private readonly devices: DeviceService;
  constructor(
    private readonly sequelize: Sequelize,
    ctx: Pick<AppContext, 'sequelize' | 'config' | 'logger'> & { queue?: JobQueue },
  ) {
    this.devices = new DeviceService(ctx);
  }

  async upgrade(actor: ScopedActor, accountId: number, input: UpgradeInput, beforeCommit?: (u: Upgraded, t: Transaction) => Promise<void>): Promise<Upgraded> {
    const head = await Account.findByPk(accountId, { attributes: ['id', 'regionId', 'payplanId'] });
    if (!head || !inRegionScope(actor.scope, head.regionId)) throw problems.notFound('account');
    const payplanId = input.payplanId ?? head.payplanId;
    const [product, payplan, pricing] = await Promise.all([
      Product.findByPk(input.productId, { attributes: ['id', 'name', 'isActive'] }),
      Payplan.findByPk(payplanId, { attributes: ['id', 'isActive'] }),
      ProductPayplanPricing.findOne({ where: { productId: input.productId, payplanId, isActive: true } }),
    ]);
    if (!product || !product.isActive) throw problems.validation([{ field: 'productId', in: 'body', message: 'no such product' }]);
    if (!payplan || !payplan.isActive) throw problems.validation([{ field: 'payplanId', in: 'body', message: 'no such payplan' }]);
    if (!pricing) throw problems.validation([{ field: 'productId', in: 'body', message: `the product is not sold on payplan ${payplanId}` }]);
    const price = new Decimal(pricing.price);
    const down = new Decimal(input.downPayment ?? pricing.downPayment);
    if (down.greaterThan(price)) throw problems.validation([{ field: 'downPayment', in: 'body', message: `must not exceed the price ${pricing.price}` }]);
    if (input.deviceId !== undefined) await this.checkDeviceVisible(actor, input.deviceId);

    return withTransaction(this.sequelize, async (t) => {
      const account = await lockAccount(accountId, t);
      const { calendar, payplan: terms } = await preparedAccount(account, t);
      const businessDate = calendar.businessDate;
      if (account.status !== 'active') {
        throw problems.conflict(`Only an active account can be upgraded (it is ${account.status}).`, 'account-not-active', { status: account.status });
      }
      if (account.daysPastDue > 0) {
        throw problems.conflict(`An account in arrears (DPD ${account.daysPastDue}) is not upgraded; bring it up to date first.`, 'in-arrears');
      }
      const open = await openSchedule(account.id, t);
      if (open.lines.length === 0) throw problems.conflict('The account has no open instalments to combine the new product with.', 'nothing-to-combine');

      const upgrade = await AccountUpgrade.create(
        {
          fromAccountId: account.id,
          fromProductId: account.productId,
          toProductId: product.id,
          creditAmount: '0.00',
          status: 'pending',
          requestedBy: actor.employeeId,
          deviceId: input.deviceId ?? null,
          price: toMoneyString(price),
          downPayment: toMoneyString(down),
          businessDate,
          reason: input.reason ?? null,
        },
        { transaction: t },
      );
      const change = await ScheduleChange.create(
        {
          accountId: account.id,
          changeType: 'upgrade',
          businessDate,
          parameters: {
            upgradeId: upgrade.id,
            productId: product.id,
            payplanId,
            price: toMoneyString(price),
            downPayment: toMoneyString(down),
            deviceId: input.deviceId ?? null,
          },
          reason: input.reason ?? `upgrade: ${product.name} added`,
          requestedBy: actor.employeeId,
        },
        { transaction: t },
      );

      // The combined schedule: the down payment due now, then each open line's due date carrying what
      // it still owed plus an even share of the new product's financed part.
      const rest = evenLines(
        price.minus(down),
        open.lines.map((l) => l.dueDate),
      );
      const lines: NewScheduleLine[] = [
        ...(down.greaterThan(0) ? [{ dueDate: businessDate, amount: toMoneyString(down) }] : []),
        ...open.lines.map((l, i) => ({ dueDate: l.dueDate, amount: toMoneyString(outstanding(l).plus(rest[i]!.amount)) })),
      ].filter((l) => new Decimal(l.amount).greaterThan(0));

      account.balance = toMoneyString(new Decimal(account.balance).plus(price));
      account.totalPrice = toMoneyString(new Decimal(account.totalPrice).plus(price));
      account.financedAmount = toMoneyString(new Decimal(account.financedAmount).plus(price.minus(down)));
      const entry = await postEntry(
        {
          businessDate,
          countryId: calendar.countryId,
          description: `Upgrade of ${account.accountNumber}: ${product.name} added`,
          sourceType: 'upgrade',
          sourceId: upgrade.id,
          accountId: account.id,
          currency: calendar.currency,
          createdBy: actor.employeeId,
          lines: [
            { ledger: LEDGER.loansReceivable, debit: toMoneyString(price), accountId: account.id },
            { ledger: LEDGER.salesRevenue, credit: toMoneyString(price) },
          ],
        },
        t,
      );
      // Supersedes the open lines, appends the combined ones, works out DPD and status, saves the account.
      await replaceOpenSchedule(t, account, lines, change, { businessDate, added: toMoneyString(price), payplan: terms, by: actor.employeeId });

      const attached =
        input.deviceId !== undefined
          ? await this.devices.attachLocked(t, actor, account, input.deviceId, { installationDate: businessDate, productId: product.id })
          : null;
      await upgrade.update({ status: 'completed', completedAt: new Date(), scheduleChangeId: change.id, journalEntryId: entry.id }, { transaction: t });
      await audit.record(t, {
        actor,
        action: 'account.upgrade',
        entity: 'accountUpgrades',
        entityId: upgrade.id,
        after: {
          accountId: account.id,
          productId: product.id,
          price: upgrade.price,
          downPayment: upgrade.downPayment,
          deviceId: upgrade.deviceId,
          scheduleChangeId: change.id,
          balance: account.balance,
        },
      });
      const upgraded = { upgrade, account, change, minted: attached?.minted ?? [] };
      await beforeCommit?.(upgraded, t);
      return upgraded;
    });
  }

  /** A device outside the caller's regions' stock is not disclosed: the same 400 as one that does not exist. */
  private async checkDeviceVisible(actor: ScopedActor, deviceId: number): Promise<void> {
    const device = await Device.findByPk(deviceId, { attributes: ['id', 'warehouseId'] });
    const unknown = problems.validation([{ field: 'deviceId', in: 'body', message: 'no such device' }]);
    if (!device) throw unknown;
    if (actor.scope.all) return;
    const w = device.warehouseId ? await Warehouse.findByPk(device.warehouseId, { attributes: ['id', 'regionId'] }) : null;
    if (!w || !inRegionScope(actor.scope, w.regionId)) throw unknown;
  }
}

export function upgradeView(u: Upgraded) {
  return {
    id: u.upgrade.id,
    accountId: u.upgrade.fromAccountId,
    fromProductId: u.upgrade.fromProductId,
    toProductId: u.upgrade.toProductId,
    deviceId: u.upgrade.deviceId ?? null,
    price: u.upgrade.price ?? null,
    downPayment: u.upgrade.downPayment ?? null,
    businessDate: u.upgrade.businessDate ?? null,
    status: u.upgrade.status,
    scheduleChangeId: u.upgrade.scheduleChangeId ?? null,
    journalEntryId: u.upgrade.journalEntryId ?? null,
    completedAt: u.upgrade.completedAt ? u.upgrade.completedAt.toISOString() : null,
    balance: u.account.balance,
    accountStatus: u.account.status,
    tokens: u.minted.map((m) => ({
      deviceId: m.deviceId,
      serialNumber: m.serialNumber,
      tokenType: m.tokenType,
      value: m.value,
      token: m.token,
      tokenCount: m.tokenCount,
    })),
  };
}
