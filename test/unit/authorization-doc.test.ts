import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { abilityFor, accessibleQuery } from '../../server/auth/abilities';
import { withRenderedTable } from '../../server/auth/authorization-doc';

describe('authorization table', () => {
  it('should be rendered in docs/authorization.md as it stands in the code', () => {
    // given
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'authorization.md'), 'utf8');

    // when
    const rendered = withRenderedTable(doc);

    // then (on failure: node --import tsx scripts/render-authorization.ts)
    expect(doc).toBe(rendered);
  });

  it('should build list filters only from top-level ids and guardians.userId', () => {
    // given
    const ability = abilityFor({
      userId: 'u1',
      memberships: [
        {
          role: 'parent',
          scope: { cityId: 'c', countyId: 'k', schoolId: 's', gradeId: 'g', classId: 'x' },
        },
        { role: 'teacher', scope: { cityId: 'c', countyId: 'k', schoolId: 's' } },
      ],
    });

    // when
    const students = accessibleQuery(ability, 'read', 'Student');
    const bills = accessibleQuery(ability, 'read', 'Bill');
    const ledger = accessibleQuery(ability, 'read', 'LedgerEntry');

    // then
    expect(students).toEqual({ $or: [{ schoolId: 's' }, { 'guardians.userId': 'u1' }] });
    // a parent reads their own children's bills, a teacher none; neither the school's ledger
    expect(bills).toEqual({ $or: [{ 'guardians.userId': 'u1' }] });
    expect(ledger).toBeNull();
  });
});
