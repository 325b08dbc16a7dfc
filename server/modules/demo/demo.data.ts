import type { Membership, MembershipScope, UserKind } from '../../auth/roles';
import type {
  CityDoc,
  ClassDoc,
  CountyDoc,
  GradeDoc,
  Guardian,
  GuardianRelation,
  SchoolDoc,
  SchoolStage,
  StudentDoc,
} from '../org/org.model';

/**
 * The demo organisation, generated deterministically from a fixed seed: one city (漯河市), two
 * districts, three schools, staff for every role, parents and about 200 students. Every name,
 * phone and ID number is made up: names are drawn from common characters, phones follow the
 * obviously fake patterns 1380000xxxx (staff) and 1390000xxxx (parents), and ID numbers carry
 * a valid check digit but a fabricated sequence. Pure; the seed service writes it.
 */

/** The password of every demo account. */
export const DEMO_PASSWORD = 'Kehou@2026';

/** A demo user before hashing. */
export interface DemoUser {
  _id: string;
  kind: UserKind;
  username?: string;
  phone?: string;
  displayName: string;
  memberships: Membership[];
}

/** Everything the demo seed writes. */
export interface DemoData {
  cities: CityDoc[];
  counties: CountyDoc[];
  schools: SchoolDoc[];
  grades: GradeDoc[];
  classes: ClassDoc[];
  students: StudentDoc[];
  users: DemoUser[];
}

const CITY: CityDoc = { _id: 'city-411100', name: '漯河市', code: '411100' };

const COUNTIES: CountyDoc[] = [
  { _id: 'county-411102', cityId: CITY._id, name: '源汇区', code: '411102' },
  { _id: 'county-411103', cityId: CITY._id, name: '郾城区', code: '411103' },
];

interface SchoolPlan {
  code: string;
  countyId: string;
  name: string;
  stage: SchoolStage;
  grades: number;
  classesPerGrade: number;
}

/** The three demo schools; `code` prefixes their ids and staff usernames. */
const SCHOOLS: SchoolPlan[] = [
  {
    code: 'yh1',
    countyId: 'county-411102',
    name: '源汇区演示第一小学',
    stage: 'primary',
    grades: 6,
    classesPerGrade: 3,
  },
  {
    code: 'yh2',
    countyId: 'county-411102',
    name: '源汇区演示实验学校',
    stage: 'nineYear',
    grades: 9,
    classesPerGrade: 2,
  },
  {
    code: 'yc1',
    countyId: 'county-411103',
    name: '郾城区演示第二小学',
    stage: 'primary',
    grades: 6,
    classesPerGrade: 2,
  },
];

/** How many students the demo has. */
export const DEMO_STUDENT_COUNT = 200;

/** The school year the demo data describe (2026–2027). */
const SCHOOL_YEAR = 2026;

const GRADE_NAMES = [
  '一年级',
  '二年级',
  '三年级',
  '四年级',
  '五年级',
  '六年级',
  '七年级',
  '八年级',
  '九年级',
];

const SURNAMES = '王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕';
const GIVEN_BOY = words(
  '浩宇 子轩 睿博 文昊 泽明 俊杰 宇航 梓豪 晨阳 一鸣 思源 嘉诚 明轩 天佑 景行 子墨 浩然 博文 皓 轩 磊 鑫',
);
const GIVEN_GIRL = words(
  '欣怡 梓涵 诗雨 可馨 雨桐 思琪 佳怡 语嫣 若曦 一诺 梦瑶 静雯 婉清 紫萱 欣然 雅琪 书瑶 悦 彤 琳 萌',
);
const GIVEN_ADULT = words(
  '建国 志强 丽娟 秀英 海燕 卫东 红梅 国庆 桂兰 振华 玉兰 立新 春燕 建军 淑芬 永红 伟 敏 静 军 勇 霞 磊 芳',
);

const INSURERS = ['中国人寿保险', '中国平安保险', '中国人民保险'];

function words(list: string): string[] {
  return list.split(' ');
}

/** mulberry32: a small deterministic PRNG, enough for demo data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The check digit of an 18-digit resident ID number (GB 11643-1999). */
export function idCheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i]!, 0);
  return '10X98765432'[sum % 11]!;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Generates the demo data; the same output on every call. */
export function generateDemoData(seed = 20_260_901): DemoData {
  const rnd = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const chars = (s: string) => [...s];
  const adultName = (surname: string) => surname + pick(GIVEN_ADULT);

  const schools: SchoolDoc[] = [];
  const grades: GradeDoc[] = [];
  const classes: ClassDoc[] = [];
  const users: DemoUser[] = [];
  let staffPhone = 0;
  const nextStaffPhone = () => `1380000${pad(++staffPhone, 4)}`;
  const staff = (username: string, memberships: Membership[], kind: UserKind = 'staff') => {
    const user: DemoUser = {
      _id: `u-${username.replace(/\./g, '-')}`,
      kind,
      username,
      phone: nextStaffPhone(),
      displayName: adultName(pick(chars(SURNAMES))),
      memberships,
    };
    users.push(user);
    return user;
  };

  const cityScope: MembershipScope = { cityId: CITY._id };
  staff('luohe.bureau', [{ role: 'cityBureau', scope: cityScope }]);
  staff('worker', [{ role: 'worker', scope: cityScope }], 'service');
  staff('yuanhui.bureau', [
    { role: 'countyBureau', scope: { cityId: CITY._id, countyId: COUNTIES[0]!._id } },
  ]);
  staff('yancheng.bureau', [
    { role: 'countyBureau', scope: { cityId: CITY._id, countyId: COUNTIES[1]!._id } },
  ]);

  for (const plan of SCHOOLS) {
    const schoolId = `school-${plan.code}`;
    const base = { cityId: CITY._id, countyId: plan.countyId };
    schools.push({ _id: schoolId, ...base, name: plan.name, stage: plan.stage });
    const schoolScope: MembershipScope = { ...base, schoolId };
    staff(`${plan.code}.principal`, [{ role: 'principal', scope: schoolScope }]);
    staff(`${plan.code}.admin`, [{ role: 'schoolAdmin', scope: schoolScope }]);
    for (let level = 1; level <= plan.grades; level++) {
      const gradeId = `${schoolId}-g${level}`;
      grades.push({ _id: gradeId, ...base, schoolId, level, name: GRADE_NAMES[level - 1]! });
      for (let number = 1; number <= plan.classesPerGrade; number++) {
        const classId = `${gradeId}-c${number}`;
        classes.push({
          _id: classId,
          ...base,
          schoolId,
          gradeId,
          level,
          number,
          name: `${GRADE_NAMES[level - 1]}（${number}）班`,
        });
        staff(`${plan.code}.g${level}c${number}`, [
          { role: 'classTeacher', scope: { ...schoolScope, gradeId, classId } },
        ]);
      }
    }
    // One teacher serves the whole school's after-school programme; the other one class.
    const firstClass = classes.find((c) => c.schoolId === schoolId)!;
    staff(`${plan.code}.teacher1`, [{ role: 'teacher', scope: schoolScope }]);
    staff(`${plan.code}.teacher2`, [
      {
        role: 'teacher',
        scope: { ...schoolScope, gradeId: firstClass.gradeId, classId: firstClass._id },
      },
    ]);
  }

  // Students, four or five a class, in families of one or two children.
  const students: StudentDoc[] = [];
  const perClass = Math.floor(DEMO_STUDENT_COUNT / classes.length);
  const extra = DEMO_STUDENT_COUNT - perClass * classes.length;
  let parentPhone = 0;
  const nextParentPhone = () => `1390000${pad(++parentPhone, 4)}`;
  const idSeq = new Map<string, number>();
  interface Family {
    surname: string;
    guardians: Guardian[];
    user: DemoUser;
    schoolId: string;
    children: number;
    leftBehind: boolean;
    poor: boolean;
  }
  const families: Family[] = [];

  classes.forEach((cls, classIndex) => {
    const count = perClass + (classIndex < extra ? 1 : 0);
    for (let i = 1; i <= count; i++) {
      const n = students.length;
      const gender: 'male' | 'female' = rnd() < 0.52 ? 'male' : 'female';
      // Every 12th child is a younger sibling in a family already at the school.
      const candidates =
        n % 12 === 11
          ? families.filter(
              (f) =>
                f.schoolId === cls.schoolId &&
                f.children === 1 &&
                f.user.memberships.every((m) => m.scope.classId !== cls._id),
            )
          : [];
      const siblingOf = candidates.length ? pick(candidates) : undefined;
      const family = siblingOf ?? newFamily(cls.schoolId);
      family.children += 1;
      const priorityGroups = {
        disabled: rnd() < 0.03 || n === 5,
        leftBehind: family.leftBehind,
        migrantWorkerChild: rnd() < 0.12,
        financialDifficulty: family.poor || rnd() < 0.06,
      };
      const county = COUNTIES.find((c) => c._id === cls.countyId)!;
      const birthYear = SCHOOL_YEAR - 6 - cls.level;
      const birth = `${birthYear}${pad(1 + Math.floor(rnd() * 12), 2)}${pad(1 + Math.floor(rnd() * 28), 2)}`;
      const seqKey = `${county.code}${birth}`;
      const seq = (idSeq.get(seqKey) ?? 0) + 1;
      idSeq.set(seqKey, seq);
      const order = pad(700 + seq * 2 + (gender === 'male' ? 1 : 0), 3);
      const first17 = `${county.code}${birth}${order}`;
      const insured = rnd() < 0.9;
      students.push({
        _id: `stu-${pad(n + 1, 4)}`,
        cityId: cls.cityId,
        countyId: cls.countyId,
        schoolId: cls.schoolId,
        gradeId: cls.gradeId,
        classId: cls._id,
        name: family.surname + pick(gender === 'male' ? GIVEN_BOY : GIVEN_GIRL),
        gender,
        studentNo: `${SCHOOL_YEAR - cls.level + 1}${pad(cls.number, 2)}${pad(i, 2)}`,
        idNumber: first17 + idCheckDigit(first17),
        guardians: family.guardians,
        priorityGroups,
        povertyRegistered: family.poor,
        ...(insured
          ? {
              insurance: {
                insurer: pick(INSURERS),
                policyNo: `DEMO-${SCHOOL_YEAR}-${pad(n + 1, 5)}`,
                // One policy in ten ran out with the last school year.
                validUntil: new Date(Date.UTC(rnd() < 0.1 ? SCHOOL_YEAR : SCHOOL_YEAR + 1, 7, 31)),
              },
            }
          : {}),
        enrolled: n % 50 !== 49,
      });
      family.user.memberships.push({
        role: 'parent',
        scope: {
          cityId: cls.cityId,
          countyId: cls.countyId,
          schoolId: cls.schoolId,
          gradeId: cls.gradeId,
          classId: cls._id,
        },
      });
    }
  });

  function newFamily(schoolId: string): Family {
    const index = families.length;
    const surname = pick(chars(SURNAMES));
    const leftBehind = rnd() < 0.1 || index === 3;
    const poor = rnd() < 0.05 || index === 7 || index === 60;
    const relation: GuardianRelation = leftBehind
      ? rnd() < 0.5
        ? 'grandfather'
        : 'grandmother'
      : rnd() < 0.5
        ? 'father'
        : 'mother';
    const mainSurname =
      relation === 'mother' || relation === 'grandmother' ? pick(chars(SURNAMES)) : surname;
    const user: DemoUser = {
      _id: `u-parent-${pad(index + 1, 4)}`,
      kind: 'parent',
      phone: nextParentPhone(),
      displayName: adultName(mainSurname),
      memberships: [],
    };
    const guardians: Guardian[] = [
      { userId: user._id, relation, name: user.displayName, phone: user.phone! },
    ];
    if (leftBehind || rnd() < 0.5) {
      // The other parent: for a left-behind child, working away from home (外出务工).
      const other: GuardianRelation = relation === 'mother' ? 'father' : 'mother';
      guardians.push({
        relation: other,
        name: adultName(other === 'father' ? surname : pick(chars(SURNAMES))),
        phone: nextParentPhone(),
      });
    }
    users.push(user);
    const family: Family = { surname, guardians, user, schoolId, children: 0, leftBehind, poor };
    families.push(family);
    return family;
  }

  // Several roles in several places: a committee member per school and per class, and a
  // teacher of one school whose child attends another.
  for (const plan of SCHOOLS) {
    const schoolId = `school-${plan.code}`;
    const parents = families.filter((f) => f.schoolId === schoolId);
    const schoolMember = parents[0]!.user;
    schoolMember.username = `${plan.code}.committee`;
    schoolMember.memberships.push({
      role: 'committee',
      scope: { cityId: CITY._id, countyId: plan.countyId, schoolId },
    });
    const classMember = parents[1]!.user;
    const childClass = classMember.memberships[0]!.scope;
    classMember.memberships.push({ role: 'committee', scope: { ...childClass } });
  }
  const teacher = users.find((u) => u.username === 'yh2.teacher1')!;
  const family = families.find(
    (f) => f.schoolId === 'school-yh1' && f.user.memberships.length === 1,
  )!;
  teacher.memberships.push(...family.user.memberships);
  family.guardians[0] = {
    ...family.guardians[0]!,
    userId: teacher._id,
    name: teacher.displayName,
    phone: teacher.phone!,
  };
  users.splice(users.indexOf(family.user), 1);

  return { cities: [CITY], counties: COUNTIES, schools, grades, classes, students, users };
}
