import { expect } from 'chai';
import { allowList, ipAllowed, signBody } from '../../src/platform/http/client-auth';
import { parseProviderTime, PROVIDERS } from '../../src/modules/mobile-money/providers';
import { parseCsv, readStatement } from '../../src/modules/mobile-money/statement';
import { HttpProblem } from '../../src/platform/http/problem';

describe('mobile money: parsing (times, CSV, addresses, signatures)', () => {
  it('reads provider times: ISO with offset as written, local forms in the provider offset, impossible dates refused', () => {
    const eat = PROVIDERS.mpesa.utcOffset;
    expect(parseProviderTime('20261120143005', eat)!.toISOString()).to.equal('2026-11-20T11:30:05.000Z');
    expect(parseProviderTime('2026-11-20 14:30:05', eat)!.toISOString()).to.equal('2026-11-20T11:30:05.000Z');
    expect(parseProviderTime('20-11-2026 14:30', eat)!.toISOString()).to.equal('2026-11-20T11:30:00.000Z');
    expect(parseProviderTime('2026-11-20T14:30:05+01:00', null)!.toISOString()).to.equal('2026-11-20T13:30:05.000Z');
    expect(parseProviderTime('2026-11-20T14:30:05Z', eat)!.toISOString()).to.equal('2026-11-20T14:30:05.000Z');
    expect(parseProviderTime('2026-11-20 14:30:05', null), 'no offset known').to.equal(null);
    expect(parseProviderTime('20260431120000', eat), '31 April').to.equal(null);
    expect(parseProviderTime('20261120250000', eat), 'hour 25').to.equal(null);
    expect(parseProviderTime('yesterday', eat)).to.equal(null);
  });

  it('parses RFC 4180 CSV: quotes, doubled quotes, embedded commas and newlines, CRLF, BOM, blank lines', () => {
    const rows = parseCsv('\ufeffa,b,c\r\n"x, y","he said ""hi""","two\nlines"\r\n\r\n1,,3');
    expect(rows).to.deep.equal([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'he said "hi"', 'two\nlines'] },
      { line: 5, fields: ['1', '', '3'] },
    ]);
    expect(() => parseCsv('a,b\n"open,1')).to.throw(HttpProblem);
  });

  it('a statement without money-in rows reads as empty; amounts with thousands separators are read', () => {
    const lines = readStatement(
      'Receipt No.,Completion Time,Paid In,Withdrawn\nABC1,2026-11-20 10:00:00,"2,500.00",\nABC2,2026-11-20 11:00:00,,100.00\n',
      PROVIDERS.mpesa,
    );
    expect(lines.map((l) => [l.transactionId, l.amount])).to.deep.equal([['ABC1', '2500.00']]);
  });

  it('matches addresses exactly or by CIDR, IPv4-mapped IPv6 as IPv4, and refuses malformed entries', () => {
    const list = allowList(['196.201.214.0/24', '10.0.0.5', '2001:db8::/32']);
    expect(ipAllowed(list, '196.201.214.9')).to.equal(true);
    expect(ipAllowed(list, '::ffff:196.201.214.9')).to.equal(true);
    expect(ipAllowed(list, '196.201.215.9')).to.equal(false);
    expect(ipAllowed(list, '10.0.0.5')).to.equal(true);
    expect(ipAllowed(list, '10.0.0.6')).to.equal(false);
    expect(ipAllowed(list, '2001:db8:1::7')).to.equal(true);
    expect(ipAllowed(list, 'not-an-ip')).to.equal(false);
    expect(ipAllowed(list, undefined)).to.equal(false);
    expect(() => allowList(['10.0.0.0/33'])).to.throw(/prefix/);
    expect(() => allowList(['example.com'])).to.throw(/not an IP/);
  });

  it('signs `<timestamp>.<body>` with HMAC-SHA256, as openssl does', () => {
    // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
    const expected = '49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686';
    expect(signBody('secret', 1700000000, '{"a":1}')).to.equal(expected);
    expect(signBody('secret', '1700000000', Buffer.from('{"a":1}'))).to.equal(expected);
    expect(signBody('secret', 1700000001, '{"a":1}')).to.not.equal(expected);
  });
});
