import { generateDemoData, idCheckDigit } from '../../server/modules/demo/demo.data';

describe('demo data generator', () => {
  it('should generate the same data every time', () => {
    expect(JSON.stringify(generateDemoData())).toBe(JSON.stringify(generateDemoData()));
  });

  it('should give unique ids, phones, usernames and ID numbers with valid check digits', () => {
    // given
    const data = generateDemoData();

    // then
    const phones = data.users.flatMap((u) => (u.phone ? [u.phone] : []));
    const usernames = data.users.flatMap((u) => (u.username ? [u.username] : []));
    expect(new Set(phones).size).toBe(phones.length);
    expect(new Set(usernames).size).toBe(usernames.length);
    expect(new Set(data.users.map((u) => u._id)).size).toBe(data.users.length);
    expect(new Set(data.students.map((s) => s.idNumber)).size).toBe(data.students.length);
    for (const s of data.students) {
      expect(s.idNumber).toMatch(/^\d{17}[\dX]$/);
      expect(s.idNumber.slice(17)).toBe(idCheckDigit(s.idNumber.slice(0, 17)));
    }
    expect(phones.every((p) => /^1(380000|390000)\d{4}$/.test(p))).toBe(true);
  });

  it('should link every guardian with an account to a parent membership in the child’s class', () => {
    // given
    const data = generateDemoData();
    const users = new Map(data.users.map((u) => [u._id, u]));

    // then
    for (const s of data.students) {
      const linked = s.guardians.filter((g) => g.userId);
      expect(linked).toHaveLength(1);
      const user = users.get(linked[0]!.userId!)!;
      expect(user.memberships).toContainEqual(
        expect.objectContaining({
          role: 'parent',
          scope: expect.objectContaining({ classId: s.classId }),
        }),
      );
    }
  });

  it('should check ID numbers the national way', () => {
    expect(idCheckDigit('11010519491231002')).toBe('X');
  });
});

describe('the demo accounts the README lists', () => {
  const data = generateDemoData();
  const byPhone = (phone: string) => data.users.find((u) => u.phone === phone)!;
  const childrenOf = (userId: string) =>
    data.students.filter((s) => s.guardians.some((g) => g.userId === userId));

  it('should have the staff phones and roles the table names', () => {
    expect(byPhone('13800000001')).toMatchObject({ username: 'luohe.bureau' });
    expect(byPhone('13800000002')).toMatchObject({ username: 'worker', kind: 'service' });
    expect(byPhone('13800000005')).toMatchObject({ username: 'yh1.principal' });
    expect(byPhone('13800000006')).toMatchObject({ username: 'yh1.admin' });
    expect(byPhone('13800000014')).toMatchObject({ username: 'yh1.g3c2' });
    expect(byPhone('13800000025')).toMatchObject({ username: 'yh1.teacher1' });
    expect(byPhone('13800000026')).toMatchObject({ username: 'yh1.teacher2' });
    expect(byPhone('13800000047')).toMatchObject({ username: 'yh2.teacher1' });
    expect(byPhone('13900000001')).toMatchObject({ username: 'yh1.committee' });
    const staffPhones = data.users.filter((u) => u.kind !== 'parent').map((u) => u.phone!);
    expect(staffPhones.sort().at(-1)).toBe('13800000064');
  });

  it('should have the parents the table names', () => {
    expect(byPhone('13900000002').memberships).toContainEqual(
      expect.objectContaining({
        role: 'committee',
        scope: expect.objectContaining({ classId: 'school-yh1-g1-c1' }),
      }),
    );
    const two = childrenOf(byPhone('13900000008')._id);
    expect(two).toHaveLength(2);
    expect(two.some((s) => s.priorityGroups.disabled)).toBe(true);
    const grandparent = byPhone('13900000004');
    const leftBehind = childrenOf(grandparent._id);
    expect(leftBehind.every((s) => s.priorityGroups.leftBehind)).toBe(true);
    expect(leftBehind[0]!.guardians[0]!.relation).toMatch(/^grand/);
    expect(childrenOf(byPhone('13900000011')._id).every((s) => s.povertyRegistered)).toBe(true);
  });
});
