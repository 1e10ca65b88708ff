import { Payplan, Product, ProductPayplanPricing, ProductType } from '../../src/modules/catalogue/models';
import { CompanyRegion, Country } from '../../src/modules/organisation/models';

/**
 * What bench:payments and bench:callbacks sell on: a Kenyan region and a zero-down weekly plan on a
 * product priced high enough that no bench run pays an account off.
 */
export async function benchCatalogue() {
  const country = (await Country.findOne({ where: { code: 'KE' } }))!;
  const region = await CompanyRegion.create({ name: 'Bench region', code: 'BENCH', countryId: country.id });
  const type = (await ProductType.findOne())!;
  const product = await Product.create({ name: 'Bench kit', code: 'BENCH-KIT', price: '1000000.00', productTypeId: type.id });
  const payplan = await Payplan.create({
    name: 'Bench weekly',
    code: 'BENCH-W',
    duration: 52,
    downPayment: '0.00',
    installmentAmount: '0.00',
    frequency: 'weekly',
    daysUntilSuspension: 30,
    dailyRate: '50.00',
    interestRate: '0.00',
  });
  await ProductPayplanPricing.create({ productId: product.id, payplanId: payplan.id, price: '1000000.00', downPayment: '0.00', installmentAmount: '0.00' });
  return { country, region, product, payplan };
}
