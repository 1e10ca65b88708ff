// ESLint (flat config): typescript-eslint's recommended rules over src, test, bench, scripts and the
// JavaScript of migrations, seeders, config and bin. `npm run lint:eslint`; `npm run lint` adds Prettier.
import { createRequire } from 'node:module';
import Module from 'node:module';
import js from '@eslint/js';
import globals from 'globals';

// The project compiles with TypeScript 7 (the native compiler), which has no JavaScript API;
// typescript-eslint parses with the API of TypeScript 5 (devDependency `typescript-5`). Its
// packages and ts-api-utils require 'typescript' (and refuse 7), so in this process, which loads
// no other user of it, that name is resolved to typescript-5 for packages under node_modules.
const require = createRequire(import.meta.url);
const typescript5 = require.resolve('typescript-5');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (request === 'typescript' && parent?.filename?.includes('/node_modules/')) return typescript5;
  return resolveFilename.call(this, request, parent, ...rest);
};
const { default: tseslint } = await import('typescript-eslint');

/** no-restricted-syntax selectors that keep a route's request types derived from its Joi schemas. */
const ROUTE_TYPE_RULES = [
  {
    selector: "CallExpression[callee.name='defineRoute'][typeArguments]",
    message: 'Type the schemas (Joi.object<FooBody, true>({...})) and let defineRoute infer the types; no type arguments.',
  },
  {
    selector: "CallExpression[callee.object.name='Joi'][callee.property.name='object'][typeArguments.params.length=1]",
    message: 'Joi.object<T, true>({...}): the strict map checks every key against T (write Joi.object<T, false> where the keys are only known at run time).',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'docs/', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed parameters and destructured leftovers are deliberate (Express error handlers
      // need four parameters; `const { secret: _secret, ...view }` drops a field).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // The migrations, seeders, sequelize-cli's config and the CLI are CommonJS run by Node and
    // sequelize-cli: require() is how they load.
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // `any` as a default type argument means "whatever the Joi schema let through" (routes, jobs,
    // reference-data resources), the approvals registry holds kinds of different item types, and
    // Joi's describe() output is untyped. Elsewhere `any` is an error:
    // new code says unknown and narrows. The list is meant to shrink (typed requests from schemas).
    files: [
      'src/platform/http/route.ts',
      'src/platform/http/openapi.ts',
      'src/platform/queue/types.ts',
      'src/platform/config/index.ts',
      'src/modules/reference-data/resource.ts',
      'src/platform/approvals/kit.ts',
      'src/platform/approvals/inbox.ts',
    ],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // A route's types come from its typed schemas (`Joi.object<FooBody, true>`, see defineRoute in
    // src/platform/http/route.ts): a type named as a type argument is checked against nothing,
    // and `Joi.object<T>` without `true` (Joi's loose map) checks no key against T.
    files: ['**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...ROUTE_TYPE_RULES] },
  },
  {
    // In the app, every route goes through defineRoute (a plain RouteSpec literal would escape its
    // checks); tests may build plain specs for their probe apps.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...ROUTE_TYPE_RULES,
        {
          selector:
            "ObjectExpression:has(> Property[key.name='handler']):has(> Property[key.name='path']):has(> Property[key.name='method']):not(CallExpression[callee.name='defineRoute'] > ObjectExpression)",
          message: 'Declare a route with defineRoute({...}), which infers and checks its request types.',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
    rules: {
      // Response bodies are read as the JSON they are; a test asserts their shape.
      '@typescript-eslint/no-explicit-any': 'off',
      // chai's property assertions (`expect(x).to.exist`, `.to.be.true`) are expressions.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
);
