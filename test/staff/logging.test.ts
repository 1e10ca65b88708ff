import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import { REDACT_PATHS } from '../../src/platform/logging/logger';

describe('staff: logs never carry passwords or reset tokens', () => {
  it('redacts new and current passwords and reset tokens, in a body or an answer', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk, _enc, cb) => {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    logger.info(
      {
        body: { token: 'reset-aaa', newPassword: 'Npw-111111', currentPassword: 'Cpw-222222' },
        res: { body: { passwordReset: { token: 'reset-bbb', expiresAt: '2026-12-07T00:00:00.000Z' } } },
        cli: { resetToken: 'reset-ccc' },
      },
      'staff event',
    );
    const out = lines.join('');
    for (const leaked of ['reset-aaa', 'Npw-111111', 'Cpw-222222', 'reset-ccc']) expect(out, `log contains ${leaked}`).not.to.contain(leaked);
    expect(out).to.contain('2026-12-07');
  });
});
