import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withRenderedTable } from '../server/auth/authorization-doc';

/** Rewrites the role table in docs/authorization.md from server/auth/authorization-table.ts. */
const path = join(__dirname, '..', 'docs', 'authorization.md');
writeFileSync(path, withRenderedTable(readFileSync(path, 'utf8')));
