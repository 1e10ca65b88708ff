import { Writable } from 'node:stream';
import { expect } from 'chai';
import pino from 'pino';
import { REDACT_PATHS } from '../../src/platform/logging/logger';

describe('logging', () => {
  it('never writes passwords, tokens, secrets or national IDs', () => {
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
        password: 'hunter2',
        body: { password: 'hunter2', refreshToken: 'rt-123', nationalId: '12345678' },
        customer: { profile: { nationalId: '87654321' } },
        client: { secret: 's3cr3t' },
        documents: { s3: { bucket: 'kyc', secretAccessKey: 'aws-secret-key-value' } },
        req: { headers: { authorization: 'Bearer abc.def.ghi' } },
      },
      'event',
    );
    const out = lines.join('');
    for (const leaked of ['hunter2', 'rt-123', '12345678', '87654321', 's3cr3t', 'abc.def.ghi', 'aws-secret-key-value']) {
      expect(out, `log contains ${leaked}`).not.to.contain(leaked);
    }
    expect(out).to.contain('[redacted]');
  });
});
