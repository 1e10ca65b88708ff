#!/usr/bin/env node
// The operator CLI (`npx amt ...`). Runs the TypeScript sources through tsx, so it works right
// after `npm ci` with no build step.
'use strict';
require('tsx/cjs/api').register();
require('../src/cli/index.ts');
