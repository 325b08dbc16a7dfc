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
