import { expect } from 'chai';
import { Account } from '../../src/modules/accounts/models';
import { api, loginAs } from '../support/app';
import { createCustomer, createMarket, createPlan } from '../support/lending';

describe('cash limit on sales', () => {
  it('an agent at their cash limit cannot open an account (403 cash-limit-exceeded); under it they can', async () => {
    const market = await createMarket();
    const { product, payplan } = await createPlan();
    const { user, token } = await loginAs('agent', { regionIds: [market.region.id] });
    const sale = async () => {
      const customer = await createCustomer(market.region.id);
      return (await api())
        .post('/api/v1/accounts')
        .set('Authorization', `Bearer ${token}`)
        .send({ customerId: customer.id, productId: product.id, payplanId: payplan.id });
    };
    await user.employee.update({ cashLimit: '0.00' });
    const refused = await sale();
    expect(refused.status).to.equal(403);
    expect(refused.body.type).to.match(/cash-limit-exceeded$/);
    expect(await Account.count({ where: { agentId: user.employee.id } })).to.equal(0);

    await user.employee.update({ cashLimit: '1000.00' });
    const sold = await sale();
    expect(sold.status).to.equal(201);
    expect(sold.body.agentId).to.equal(user.employee.id);
  });
});
