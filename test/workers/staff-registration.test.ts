import { eventually } from '../fixtures/engine';
import { taskOf } from '../fixtures/inbox-tasks';
import { startDomainHarness, type DomainHarness } from '../fixtures/domain';
import { buildStudent, schoolScope, signIn, type SignedInClient } from '../fixtures/identity';
import { orgModels } from '../../server/modules/org/org.model';

/**
 * Staff registration end to end (附件2, SAFE-STAFF, FEE-EXTERNAL): a school admin registers a
 * person through /api/staff/registrations, the real check-staff-record worker refuses anyone
 * on a bureau's bad-record list naming SAFE-STAFF with its clause, the school confirms in its
 * inbox and the register-staff worker records the person as service staff; outside
 * professionals only with an agreement; a teacher's service hours per month come from the
 * sessions they ran.
 */

interface Task {
  key: string;
  elementId: string;
  processInstanceKey: string;
}

interface Notification {
  template: string;
  title: string;
  body: string;
}

let idSeq = 0;
/** A made-up, well-formed ID number, different each call. */
function idNumber(last = 'X'): string {
  idSeq += 1;
  return `41110219800101${String(idSeq).padStart(3, '0')}${last}`;
}

let mobileSeq = 300;
/** A made-up mobile, different each call. */
function mobile(): string {
  mobileSeq += 1;
  return `13800000${String(mobileSeq).padStart(3, '0')}`;
}

describe('staff registration end to end (engine, workers, inbox, real database)', () => {
  let h: DomainHarness;
  let tree: Awaited<ReturnType<DomainHarness['createOrgTree']>>;
  let admin: SignedInClient;
  let principal: SignedInClient;
  let teacher: SignedInClient;
  let teacherId: string;
  let otherTeacherId: string;
  let otherTeacher: SignedInClient;
  let county: SignedInClient;
  let otherCounty: SignedInClient;
  let strangerAdmin: SignedInClient;

  beforeAll(async () => {
    h = await startDomainHarness();
    tree = await h.createOrgTree();
    const other = await h.createOrgTree();
    await h.createPlan(tree);
    const as = async (role: string, scope: object, displayName?: string) => {
      const u = await h.createUser({
        memberships: [{ role, scope } as never],
        ...(displayName ? { displayName } : {}),
      });
      return { id: u._id, client: await signIn(h.app, { phone: u.phone!, password: u.password }) };
    };
    admin = (await as('schoolAdmin', schoolScope(tree))).client;
    principal = (await as('principal', schoolScope(tree))).client;
    const t = await as('teacher', schoolScope(tree), '王老师');
    teacher = t.client;
    teacherId = t.id;
    const t2 = await as('teacher', schoolScope(tree), '赵老师');
    otherTeacher = t2.client;
    otherTeacherId = t2.id;
    county = (await as('countyBureau', { cityId: tree.cityId, countyId: tree.county._id })).client;
    otherCounty = (await as('countyBureau', { cityId: other.cityId, countyId: other.county._id }))
      .client;
    strangerAdmin = (await as('schoolAdmin', schoolScope(other))).client;
  }, 120_000);

  afterAll(async () => {
    await h.close();
  });

  const registration = (overrides: Record<string, unknown> = {}) => ({
    schoolFullName: '漯河市源汇区测试小学',
    staffName: '陈静',
    gender: 'female',
    department: '教务处',
    mobile: mobile(),
    idNumber: idNumber(),
    isExternal: false,
    ...overrides,
  });

  async function confirm(instanceKey: string, variables: Record<string, unknown>) {
    const task = await taskOf(admin, instanceKey, 'SchoolConfirmation');
    const res = await admin.post(`/api/tasks/${task.key}/complete`, { variables });
    expect(res.status).toBe(204);
  }

  async function registrationIn(id: string, status: string) {
    return eventually(
      async () => {
        const res = await admin.agent.get(`/api/staff/registrations/${id}`);
        return res.body.status === status ? (res.body as Record<string, unknown>) : undefined;
      },
      30_000,
      `registration ${status}`,
    );
  }

  async function notified(client: SignedInClient, template: string, staffName: string) {
    return eventually(
      async () => {
        const res = await client.agent.get('/api/notifications?limit=100');
        return (res.body.items as Notification[]).find(
          (n) => n.template === template && n.body.includes(staffName),
        );
      },
      30_000,
      `${template} notification`,
    );
  }

  it('should register an in-service teacher with a clear record after the school confirms (附件2)', async () => {
    // given
    const form = registration({ staffName: '陈静', mobile: '13800000299' });

    // when the school admin registers and confirms
    const res = await admin.post('/api/staff/registrations', form);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      schoolFullName: '漯河市源汇区测试小学',
      staffName: '陈静',
      gender: 'female',
      department: '教务处',
      mobile: '13800000299',
      isExternal: false,
    });
    await confirm(res.body.instanceKey as string, { decision: 'approve' });

    // then the person is service staff, and the submitter is told
    const done = await registrationIn(res.body.id as string, 'registered');
    const members = await admin.agent.get('/api/staff/members');
    const member = (members.body.items as Record<string, unknown>[]).find(
      (m) => m.id === done.staffId,
    );
    expect(member).toMatchObject({
      name: '陈静',
      schoolFullName: '漯河市源汇区测试小学',
      gender: 'female',
      department: '教务处',
      mobile: '13800000299',
      employment: 'in-service',
      registrationId: res.body.id,
    });
    const told = await notified(admin, 'staff-registered', '陈静');
    expect(told.title).toBe('课后服务人员登记完成');
    // and the ID number is never shown in full
    expect(done.idNumberMasked).toBe(
      `${form.idNumber.slice(0, 6)}********${form.idNumber.slice(-4)}`,
    );
    expect(JSON.stringify(done)).not.toContain(form.idNumber);
  }, 90_000);

  it("should refuse anyone on a bureau's bad-record list, naming SAFE-STAFF and its clause", async () => {
    // given the county bureau records a bad record (with a lower-case check digit)
    const id = idNumber('x');
    const listed = await county.post('/api/staff/bad-records', {
      idNumber: id,
      name: '刘某',
      status: 'bad',
      note: '有违法犯罪记录',
    });
    expect(listed.status).toBe(200);
    expect(listed.body.idNumberMasked).not.toContain(id.slice(6, 14));

    // when the school registers that person (upper-case check digit)
    const res = await admin.post(
      '/api/staff/registrations',
      registration({ staffName: '刘某', idNumber: id.toUpperCase() }),
    );
    expect(res.status).toBe(201);

    // then the record check refuses, naming the rule and its clause
    const refused = await registrationIn(res.body.id as string, 'refused');
    const refusal = refused.refusal as { rule: string; clause: string; message: string }[];
    expect(refusal.map((r) => r.rule)).toEqual(['SAFE-STAFF']);
    expect(refusal[0]!.clause).toBe('四(三)');
    expect(refusal[0]!.message).toContain('刘某');
    expect(refused.staffId).toBeUndefined();
    // and the school is told why
    const told = await notified(admin, 'staff-refused', '刘某');
    expect(told.body).toContain('SAFE-STAFF');
    expect(told.body).toContain('漯教〔2021〕64号');
    // and the person is not service staff, nor is the school asked to confirm
    const members = await admin.agent.get('/api/staff/members');
    expect((members.body.items as { name: string }[]).map((m) => m.name)).not.toContain('刘某');
    const inbox = await admin.agent.get('/api/tasks?view=groups&size=100');
    expect(
      (inbox.body.items as Task[]).filter((t) => t.processInstanceKey === res.body.instanceKey),
    ).toEqual([]);
  }, 90_000);

  it('should refuse at registration someone the bureau lists while the school is confirming (SAFE-STAFF)', async () => {
    // given a registration that passed the record check and waits for the school
    const id = idNumber();
    const res = await admin.post(
      '/api/staff/registrations',
      registration({ staffName: '钱某', idNumber: id }),
    );
    const task = await taskOf(admin, res.body.instanceKey as string, 'SchoolConfirmation');

    // when the county bureau lists the person, and then the school confirms
    expect(
      (await county.post('/api/staff/bad-records', { idNumber: id, name: '钱某', status: 'bad' }))
        .status,
    ).toBe(200);
    expect(
      (await admin.post(`/api/tasks/${task.key}/complete`, { variables: { decision: 'approve' } }))
        .status,
    ).toBe(204);

    // then the person is refused naming SAFE-STAFF, not registered, and the school is told
    const refused = await registrationIn(res.body.id as string, 'refused');
    expect((refused.refusal as { rule: string }[]).map((r) => r.rule)).toEqual(['SAFE-STAFF']);
    expect(refused.staffId).toBeUndefined();
    const told = await notified(admin, 'staff-refused', '钱某');
    expect(told.body).toContain('SAFE-STAFF');
    const members = await admin.agent.get('/api/staff/members');
    expect((members.body.items as { name: string }[]).map((m) => m.name)).not.toContain('钱某');
  }, 90_000);

  it("should refuse a person on another county's list as well, and one whose check is pending", async () => {
    // given one person listed by another county's bureau and one whose check is pending
    const elsewhere = idNumber();
    expect(
      (
        await otherCounty.post('/api/staff/bad-records', {
          idNumber: elsewhere,
          name: '孙某',
          status: 'bad',
        })
      ).status,
    ).toBe(200);
    const pending = idNumber();
    expect(
      (
        await county.post('/api/staff/bad-records', {
          idNumber: pending,
          name: '周某',
          status: 'pending',
        })
      ).status,
    ).toBe(200);

    // when the school registers both
    const a = await admin.post(
      '/api/staff/registrations',
      registration({ staffName: '孙某', idNumber: elsewhere }),
    );
    const b = await admin.post(
      '/api/staff/registrations',
      registration({ staffName: '周某', idNumber: pending }),
    );

    // then both are refused under SAFE-STAFF
    for (const [res, name] of [
      [a, '孙某'],
      [b, '周某'],
    ] as const) {
      const refused = await registrationIn(res.body.id as string, 'refused');
      const refusal = refused.refusal as { rule: string; message: string }[];
      expect(refusal.map((r) => r.rule)).toEqual(['SAFE-STAFF']);
      expect(refusal[0]!.message).toContain(name);
    }
    // and a county bureau reads only its own list
    const own = await county.agent.get('/api/staff/bad-records');
    expect((own.body.items as { name: string }[]).map((r) => r.name)).not.toContain('孙某');
  }, 90_000);

  it('should refuse an outside professional without an agreement (FEE-EXTERNAL) and register one with it', async () => {
    // when
    const without = await admin.post(
      '/api/staff/registrations',
      registration({ staffName: '郑教练', isExternal: true, department: '体育' }),
    );
    const withAgreement = await admin.post(
      '/api/staff/registrations',
      registration({
        staffName: '吴教练',
        department: '体育',
        isExternal: true,
        agreementNo: 'XY-2026-009',
        agreementFileRef: 'file-778',
        remunerationYuan: 1500.5,
      }),
    );

    // then the one without an agreement is refused at once, naming the rule
    expect(without.status).toBe(422);
    expect(without.body.rules.map((r: { rule: string }) => r.rule)).toEqual(['FEE-EXTERNAL']);
    expect(without.body.detail).toContain('FEE-EXTERNAL (漯教〔2021〕64号');
    // and the one with it is confirmed with the agreement verified
    expect(withAgreement.status).toBe(201);
    await confirm(withAgreement.body.instanceKey as string, {
      decision: 'approve',
      agreementVerified: true,
    });
    const done = await registrationIn(withAgreement.body.id as string, 'registered');
    const members = await admin.agent.get('/api/staff/members');
    expect(
      (members.body.items as Record<string, unknown>[]).find((m) => m.id === done.staffId),
    ).toMatchObject({
      name: '吴教练',
      employment: 'external',
      agreementNo: 'XY-2026-009',
      remunerationFen: 150050,
    });
  }, 90_000);

  it("should end a registration the school does not confirm, with the school's reason", async () => {
    // given
    const res = await admin.post('/api/staff/registrations', registration({ staffName: '何磊' }));

    // when
    await confirm(res.body.instanceKey as string, {
      decision: 'reject',
      reason: '本学期不参与课后服务',
    });

    // then
    const rejected = await registrationIn(res.body.id as string, 'rejected');
    expect(rejected.rejectionReason).toBe('本学期不参与课后服务');
    const told = await notified(admin, 'staff-rejected', '何磊');
    expect(told.body).toContain('本学期不参与课后服务');
  }, 90_000);

  it('should refuse a second registration of the same person at the school while one is pending or confirmed (409)', async () => {
    // given a pending registration of 孙丽
    const person = { staffName: '孙丽', idNumber: idNumber(), mobile: mobile() };
    const first = await admin.post('/api/staff/registrations', registration(person));
    expect(first.status).toBe(201);

    // when the school registers the same ID number, or the same mobile, again
    const sameId = await principal.post(
      '/api/staff/registrations',
      registration({ ...person, idNumber: person.idNumber.toLowerCase(), mobile: mobile() }),
    );
    const sameMobile = await admin.post(
      '/api/staff/registrations',
      registration({ ...person, idNumber: idNumber() }),
    );

    // then both are refused in Chinese, naming what is taken, and nothing is stored
    expect(sameId.status).toBe(409);
    expect(sameId.body).toMatchObject({
      code: 'STAFF_DUPLICATE',
      detail: '该身份证号的人员已在本校登记（待学校确认或已登记），不能重复登记',
    });
    expect(sameMobile.status).toBe(409);
    expect(sameMobile.body.detail).toBe(
      '该手机号已用于本校的另一份登记（待学校确认或已登记），不能重复登记',
    );
    const listed = await admin.agent.get('/api/staff/registrations?limit=200');
    expect(
      (listed.body.items as { staffName: string }[]).filter((r) => r.staffName === '孙丽'),
    ).toHaveLength(1);
    // and another school registers the same person
    const elsewhere = await strangerAdmin.post('/api/staff/registrations', registration(person));
    expect(elsewhere.status).toBe(201);

    // when the school does not confirm the first registration
    await confirm(first.body.instanceKey as string, { decision: 'reject', reason: '材料不全' });
    await registrationIn(first.body.id as string, 'rejected');

    // then the person may be registered again, and once confirmed, not a third time
    const again = await admin.post('/api/staff/registrations', registration(person));
    expect(again.status).toBe(201);
    await confirm(again.body.instanceKey as string, { decision: 'approve' });
    await registrationIn(again.body.id as string, 'registered');
    const third = await admin.post('/api/staff/registrations', registration(person));
    expect(third.status).toBe(409);
  }, 120_000);

  it('should register a person again after the school ended their registration, through the whole process', async () => {
    // given a person registered through the process (record check, confirmation, register-staff)
    const person = { staffName: '冯雪', idNumber: idNumber(), mobile: mobile() };
    const first = await admin.post('/api/staff/registrations', registration(person));
    await confirm(first.body.instanceKey as string, { decision: 'approve' });
    const done = await registrationIn(first.body.id as string, 'registered');

    // when the school ends the registration
    const ended = await admin.post(`/api/staff/members/${done.staffId as string}/end`, {
      reason: '调往其他学校',
      endDate: new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10),
    });

    // then the person is no longer among the serving staff, and the registration shows it
    expect(ended.status).toBe(200);
    const serving = await admin.agent.get('/api/staff/members?limit=200');
    expect((serving.body.items as { id: string }[]).map((m) => m.id)).not.toContain(done.staffId);
    await registrationIn(first.body.id as string, 'ended');
    // and the person may be registered again, and once confirmed is serving staff again
    const again = await admin.post('/api/staff/registrations', registration(person));
    expect(again.status).toBe(201);
    await confirm(again.body.instanceKey as string, { decision: 'approve' });
    const back = await registrationIn(again.body.id as string, 'registered');
    const members = await admin.agent.get('/api/staff/members?limit=200');
    expect(
      (members.body.items as { id: string; name: string; status: string }[]).filter(
        (m) => m.name === '冯雪',
      ),
    ).toEqual([expect.objectContaining({ id: back.staffId, status: 'active' })]);
    // and not a third time while that registration stands
    expect((await admin.post('/api/staff/registrations', registration(person))).status).toBe(409);
  }, 120_000);

  it("should keep registrations to the school's admin, principal and bureaus", async () => {
    // given
    const res = await admin.post('/api/staff/registrations', registration({ staffName: '林芳' }));
    const id = res.body.id as string;

    // when / then the school and its county read it
    for (const reader of [admin, principal, county])
      expect((await reader.agent.get(`/api/staff/registrations/${id}`)).status).toBe(200);
    // and a teacher, another school's admin and another county read nothing
    for (const stranger of [teacher, strangerAdmin, otherCounty]) {
      expect((await stranger.agent.get(`/api/staff/registrations/${id}`)).status).toBe(404);
      const list = await stranger.agent.get('/api/staff/registrations');
      expect((list.body.items as { id: string }[]).map((r) => r.id)).not.toContain(id);
    }
    // and neither a teacher nor another school's admin registers at this school: the teacher,
    // who reads the school, is refused (403); the other school's admin is not even told the
    // school exists (404)
    expect((await teacher.post('/api/staff/registrations', registration())).status).toBe(403);
    const foreign = await strangerAdmin.post(
      '/api/staff/registrations',
      registration({ schoolId: tree.school._id }),
    );
    expect(foreign.status).toBe(404);
    // and only bureaus keep the bad-record list
    const byAdmin = await admin.post('/api/staff/bad-records', {
      idNumber: idNumber(),
      name: '某人',
      status: 'bad',
    });
    expect(byAdmin.status).toBe(403);
  }, 60_000);

  it("should count a teacher's service hours per month from the sessions they ran", async () => {
    // given a child, three October sessions run by 王老师 and one by 赵老师, one in November
    const kid = buildStudent(tree);
    await orgModels(h.db.connection).students.create(kid);
    const run = async (client: SignedInClient, date: string) => {
      const res = await client.post('/api/safety/attendance/check-ins', {
        sessionId: 'S1',
        date,
        dutyStaffId: 'duty-1',
        students: [{ studentId: kid._id, present: true }],
      });
      expect(res.status).toBe(200);
    };
    await run(teacher, '2026-10-12');
    await run(teacher, '2026-10-13');
    await run(teacher, '2026-10-14');
    await run(otherTeacher, '2026-10-15');
    await run(teacher, '2026-11-02');

    // when the school admin reads October
    const res = await admin.agent.get('/api/staff/service-hours?month=2026-10');

    // then each teacher's sessions at the plan's 16:40–18:30 (110 minutes)
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      schoolId: tree.school._id,
      month: '2026-10',
      totalMinutes: 440,
    });
    expect(res.body.items).toEqual([
      { teacherUserId: teacherId, teacherName: '王老师', sessions: 3, minutes: 330, hours: 5.5 },
      {
        teacherUserId: otherTeacherId,
        teacherName: '赵老师',
        sessions: 1,
        minutes: 110,
        hours: 1.83,
      },
    ]);
    // and the county reads them, another school's admin does not
    expect(
      (await county.agent.get(`/api/staff/service-hours?month=2026-10&schoolId=${tree.school._id}`))
        .status,
    ).toBe(200);
    expect(
      (
        await strangerAdmin.agent.get(
          `/api/staff/service-hours?month=2026-10&schoolId=${tree.school._id}`,
        )
      ).status,
    ).toBe(404);
  }, 60_000);
});
