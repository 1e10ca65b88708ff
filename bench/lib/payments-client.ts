import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';

/**
 * An HTTP client of the API's POST /api/v1/payments, as a field app or a gateway calls it: the demo
 * admin's bearer token, an Idempotency-Key per payment, 201 expected. bench:payments and
 * bench:callbacks (its POST /payments yardstick) use the same one.
 */
export interface PaymentsClient {
  /** Posts payment `i` (its transactionRef is `<prefix>-<i>`) on `accountId`; throws unless 201. */
  post(i: number, accountId: number, amount?: string): Promise<void>;
  close(): Promise<void>;
}

export async function paymentsClient(port: number, connections: number, prefix: string): Promise<PaymentsClient> {
  const dispatcher = new Agent({ connections, keepAliveTimeout: 30_000 });
  const base = `http://127.0.0.1:${port}`;
  const login = await request(`${base}/api/v1/auth/login`, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@amt.local', password: 'Admin#2026!' }),
  });
  const { accessToken } = (await login.body.json()) as { accessToken: string };
  return {
    async post(i, accountId, amount = '10.00') {
      const res = await request(`${base}/api/v1/payments`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}`, 'idempotency-key': randomUUID() },
        body: JSON.stringify({ accountId, amount, paymentType: 'MPESA', channel: 'mobile_money', transactionRef: `${prefix}-${i}` }),
      });
      const text = await res.body.text();
      if (res.statusCode !== 201) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    },
    close: () => dispatcher.close(),
  };
}
