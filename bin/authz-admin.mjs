#!/usr/bin/env node
// The `authz-admin` npm bin: runs the TypeScript CLI in bin/admin.ts through tsx, so the repository needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('./admin.ts');
