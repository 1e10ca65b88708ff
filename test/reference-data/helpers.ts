import { Country } from '../../src/modules/organisation/models';
import { testRuntime } from '../support/app';

/** A three-letter country code no country has yet. */
export async function freshCountryCode(): Promise<string> {
  await testRuntime();
  for (;;) {
    const code = Array.from({ length: 3 }, () => String.fromCharCode(65 + Math.floor(Math.random() * 26))).join('');
    if (!(await Country.findOne({ where: { code }, attributes: ['id'] }))) return code;
  }
}
