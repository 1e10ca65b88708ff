import { expect } from 'chai';
import { DEVICE_TOKEN_TYPES } from '../../src/modules/devices/models';
import { POSTED_TOKEN_TYPES } from '../../src/modules/payments/payments.responses';

describe('devices: token types in the payment answer', () => {
  it("the posted payment's answer schema lists exactly the devices module's token types", () => {
    // payments cannot import devices (devices listen to payment events), so the list is written twice.
    expect([...POSTED_TOKEN_TYPES]).to.deep.equal([...DEVICE_TOKEN_TYPES]);
  });
});
