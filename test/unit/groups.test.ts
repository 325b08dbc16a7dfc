import {
  classTeacherGroup,
  countyBureauGroup,
  groupOf,
  groupsOf,
  parseGroup,
  schoolCommitteeGroup,
} from '../../server/auth/groups';
import { isAllowedMembership, type Membership } from '../../server/auth/roles';

const city = { cityId: 'city-1' };
const county = { ...city, countyId: 'county-1' };
const school = { ...county, schoolId: 'school-1' };
const klass = { ...school, gradeId: 'school-1-g3', classId: 'school-1-g3-c2' };

describe('candidate-group naming', () => {
  it('should name one group per staff membership', () => {
    // given
    const memberships: Membership[] = [
      { role: 'classTeacher', scope: klass },
      { role: 'teacher', scope: klass },
      { role: 'teacher', scope: school },
      { role: 'committee', scope: school },
      { role: 'committee', scope: klass },
      { role: 'schoolAdmin', scope: school },
      { role: 'principal', scope: school },
      { role: 'countyBureau', scope: county },
      { role: 'cityBureau', scope: city },
      { role: 'worker', scope: city },
      { role: 'parent', scope: klass },
    ];

    // when
    const groups = memberships.map(groupOf);

    // then
    expect(groups).toEqual([
      'class:school-1-g3-c2:teacher',
      'class:school-1-g3-c2:subject-teacher',
      'school:school-1:teacher',
      'school:school-1:committee',
      'class:school-1-g3-c2:committee',
      'school:school-1:admin',
      'school:school-1:principal',
      'county:county-1:bureau',
      'city:city-1:bureau',
      'city:city-1:worker',
      undefined,
    ]);
    expect(groupsOf(memberships)).toHaveLength(10);
  });

  it('should spell the helpers the same way and parse names back', () => {
    expect(classTeacherGroup('c1')).toBe('class:c1:teacher');
    expect(schoolCommitteeGroup('s1')).toBe('school:s1:committee');
    expect(countyBureauGroup('k1')).toBe('county:k1:bureau');
    expect(parseGroup('school:s1:committee')).toEqual({
      level: 'school',
      id: 's1',
      name: 'committee',
    });
    expect(parseGroup('school:s1')).toBeUndefined();
    expect(parseGroup('planet:p1:admin')).toBeUndefined();
  });

  it('should accept a role only at the levels it exists at, with every id above', () => {
    expect(isAllowedMembership({ role: 'classTeacher', scope: klass })).toBe(true);
    expect(isAllowedMembership({ role: 'classTeacher', scope: school })).toBe(false);
    expect(isAllowedMembership({ role: 'principal', scope: county })).toBe(false);
    expect(isAllowedMembership({ role: 'parent', scope: { ...city, classId: 'c' } })).toBe(false);
    expect(isAllowedMembership({ role: 'cityBureau', scope: city })).toBe(true);
  });
});
