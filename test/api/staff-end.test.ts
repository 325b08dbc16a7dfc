import fs from 'node:fs';
import path from 'node:path';
import { Engine } from '../../server/engine/engine';
import { shanghaiDate } from '../../server/rules/dates';
import { createAudit } from '../../server/modules/audit';
import { createSafety, processPort } from '../../server/modules/safety';
import { createStaff } from '../../server/modules/staff';
import { staffModels } from '../../server/modules/staff/staff.model';
import {
  classScope,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';

/**
 * Ending a registered staff member's registration over HTTP on the real database and engine
 * (SAFE-STAFF): the school's admin or principal ends it with a reason and the last day served;
 * the member is kept and shown as ended, no longer among the serving staff, on the
 * registration's timeline and in the audit log; the same person may then be registered again,
 * once. The `register-staff` job is done by hand through its worker route (no job worker runs).
 */

const ROOT = path.resolve(__dirname, '..', '..');

let idSeq = 0;
/** A made-up, well-formed ID number, different each call. */
function idNumber(): string {
  idSeq += 1;
  return `41110219850101${String(idSeq).padStart(3, '0')}X`;
}

let mobileSeq = 500;
/** A made-up mobile, different each call. */
function mobile(): string {
  mobileSeq += 1;
  return `13700000${String(mobileSeq).padStart(3, '0')}`;
}

interface Member {
  id: string;
  name: string;
  status: string;
  ending?: { endDate: string; reason: string; endedBy: string; endedAt: string };
  actions: { end: boolean };
}

describe('ending a staff member’s registration', () => {
  let h: IdentityHarness;
  let engine: Engine;
  let tree: OrgTree;
  let other: OrgTree;
  let admin: SignedInClient;
  let adminId: string;
  let principal: SignedInClient;
  let teacher: SignedInClient;
  let parent: SignedInClient;
  let county: SignedInClient;
  let strangerAdmin: SignedInClient;
  let worker: SignedInClient;
  const today = () => shanghaiDate(new Date());

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, logger, auth) => {
      engine = new Engine(db, { logger });
      await engine.start();
      await engine.deploy([
        {
          name: 'staff-registration.bpmn',
          content: fs.readFileSync(path.join(ROOT, 'processes', 'staff-registration.bpmn'), 'utf8'),
        },
      ]);
      const requireSession = auth.requireSession;
      const audit = await createAudit({ db, requireSession });
      const engineOf = processPort(engine, () => Promise.resolve(undefined));
      const safety = await createSafety({ db, engine: engineOf, requireSession });
      const staff = await createStaff({
        db,
        engine: engineOf,
        attendance: safety.attendance,
        requireSession,
        audit: audit.log,
      });
      return [
        { path: '/api/staff', router: staff.router },
        { path: '/api/audit', router: audit.router },
      ];
    });
    tree = await h.createOrgTree();
    other = await h.createOrgTree();
    const as = async (
      role: string,
      scope: object,
      kind?: 'parent' | 'service',
    ): Promise<{ id: string; client: SignedInClient }> => {
      const u = await h.createUser({
        memberships: [{ role, scope } as never],
        ...(kind ? { kind } : {}),
      });
      const client = await signIn(
        h.app,
        kind === 'service'
          ? { username: u.username!, password: u.password }
          : { phone: u.phone!, password: u.password },
      );
      return { id: u._id, client };
    };
    const a = await as('schoolAdmin', schoolScope(tree));
    admin = a.client;
    adminId = a.id;
    principal = (await as('principal', schoolScope(tree))).client;
    teacher = (await as('teacher', schoolScope(tree))).client;
    parent = (await as('parent', classScope(tree), 'parent')).client;
    county = (await as('countyBureau', { cityId: tree.cityId, countyId: tree.county._id })).client;
    strangerAdmin = (await as('schoolAdmin', schoolScope(other))).client;
    worker = (await as('worker', { cityId: tree.cityId }, 'service')).client;
  }, 120_000);

  afterAll(async () => {
    await engine.stop();
    await h.close();
  });

  // helpers //////////

  const person = (staffName: string) => ({
    schoolFullName: '漯河市源汇区测试小学',
    staffName,
    gender: 'female',
    department: '教务处',
    mobile: mobile(),
    idNumber: idNumber(),
    isExternal: false,
  });

  /** Registers the person and records them as staff, as the `register-staff` job does. */
  async function registered(form: ReturnType<typeof person>) {
    const reg = await admin.post('/api/staff/registrations', form);
    expect(reg.status).toBe(201);
    const done = await worker.post('/api/staff/members', { registrationId: reg.body.id });
    expect(done.status).toBe(200);
    return { registrationId: reg.body.id as string, staffId: done.body.staffId as string };
  }

  async function membersOf(client: SignedInClient, query = ''): Promise<Member[]> {
    const res = await client.agent.get(`/api/staff/members?limit=200${query}`);
    expect(res.status).toBe(200);
    return res.body.items as Member[];
  }

  // tests //////////

  it('should keep an ended member, shown as ended, no longer serving, on the timeline and in the audit log', async () => {
    // given a registered member
    const { registrationId, staffId } = await registered(person('周敏'));
    expect((await membersOf(admin)).map((m) => m.id)).toContain(staffId);

    // when the school admin ends the registration
    const res = await admin.post(`/api/staff/members/${staffId}/end`, {
      reason: '调离本校',
      endDate: today(),
    });

    // then the member is ended, with the reason, the day and who ended it
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: staffId,
      name: '周敏',
      status: 'ended',
      ending: { endDate: today(), reason: '调离本校', endedBy: adminId },
    });
    // and is no longer among the serving staff, but kept and shown as ended
    expect((await membersOf(admin)).map((m) => m.id)).not.toContain(staffId);
    const ended = (await membersOf(admin, '&status=ended')).find((m) => m.id === staffId);
    expect(ended).toMatchObject({ status: 'ended', ending: { reason: '调离本校' } });
    expect((await membersOf(admin, '&status=all')).map((m) => m.id)).toContain(staffId);
    // and the registration shows it on its timeline
    const reg = await admin.agent.get(`/api/staff/registrations/${registrationId}`);
    expect(reg.body).toMatchObject({ status: 'ended', ending: { reason: '调离本校' } });
    expect(
      (reg.body.timeline as { step: string; data?: unknown }[]).find((e) => e.step === 'ended'),
    ).toMatchObject({ data: { reason: '调离本校', endDate: today() } });
    // and the audit log has it, in Chinese
    const audit = await admin.agent.get(`/api/audit?action=staff.end&targetId=${staffId}`);
    expect(audit.status).toBe(200);
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].summary).toBe(
      `漯河市源汇区测试小学：终止课后服务人员 周敏 的登记（最后服务日 ${today()}）：调离本校`,
    );
    // and the county bureau sees the ended member too
    expect((await membersOf(county, '&status=ended')).map((m) => m.id)).toContain(staffId);
  }, 60_000);

  it('should let the same person be registered again after the ending, by one registration of two at once', async () => {
    // given a registered member
    const form = person('吴芳');
    const { staffId } = await registered(form);
    // (while registered, the same person is refused)
    expect((await admin.post('/api/staff/registrations', form)).status).toBe(409);

    // when the registration is ended and the school registers the person twice at once
    expect(
      (
        await principal.post(`/api/staff/members/${staffId}/end`, {
          reason: '合同到期',
          endDate: today(),
        })
      ).status,
    ).toBe(200);
    const both = await Promise.all([
      admin.post('/api/staff/registrations', form),
      principal.post('/api/staff/registrations', form),
    ]);

    // then one is submitted and the other refused as a duplicate
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(both.find((r) => r.status === 409)!.body.code).toBe('STAFF_DUPLICATE');
    // and while that one is pending, the person is refused again
    const third = await admin.post('/api/staff/registrations', form);
    expect(third.status).toBe(409);
    const listed = await admin.agent.get('/api/staff/registrations?limit=200');
    expect(
      (listed.body.items as { staffName: string; status: string }[])
        .filter((r) => r.staffName === '吴芳')
        .map((r) => r.status)
        .sort(),
    ).toEqual(['ended', 'submitted']);
  }, 60_000);

  it('should end a registration once: a second ending is refused (409), as are bad dates and an empty reason', async () => {
    // given a registered member
    const { staffId } = await registered(person('郑洁'));

    // when the end date is before the registration or after today, or the reason is missing
    const early = await admin.post(`/api/staff/members/${staffId}/end`, {
      reason: '调离本校',
      endDate: '2020-01-01',
    });
    const late = await admin.post(`/api/staff/members/${staffId}/end`, {
      reason: '调离本校',
      endDate: '2999-01-01',
    });
    const noReason = await admin.post(`/api/staff/members/${staffId}/end`, {
      reason: ' ',
      endDate: today(),
    });
    const badDate = await admin.post(`/api/staff/members/${staffId}/end`, {
      reason: '调离本校',
      endDate: '2026-02-30',
    });

    // then each is refused in Chinese and the member still serves
    expect([early.status, late.status]).toEqual([422, 422]);
    expect(early.body).toMatchObject({ code: 'STAFF_END_DATE' });
    expect(early.body.detail).toContain('终止日期应在登记之日');
    // (named on the field, so a form shows it next to the date)
    expect(early.body.errors).toEqual([{ path: 'endDate', message: early.body.detail }]);
    expect([noReason.status, badDate.status]).toEqual([400, 400]);
    expect((await membersOf(admin)).map((m) => m.id)).toContain(staffId);

    // when it is ended twice at once
    const both = await Promise.all([
      admin.post(`/api/staff/members/${staffId}/end`, { reason: '调离本校', endDate: today() }),
      principal.post(`/api/staff/members/${staffId}/end`, { reason: '退休', endDate: today() }),
    ]);

    // then one ending stands and the other is told it ended already
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect(refused.body).toMatchObject({
      code: 'STAFF_ALREADY_ENDED',
      detail: '该人员的登记已经终止',
    });
    const winner = both.find((r) => r.status === 200)!.body.ending.reason as string;
    const ended = (await membersOf(admin, '&status=ended')).find((m) => m.id === staffId);
    expect(ended!.ending!.reason).toBe(winner);
    const audit = await admin.agent.get(`/api/audit?action=staff.end&targetId=${staffId}`);
    expect(audit.body.items).toHaveLength(1);
  }, 60_000);

  it('should let only those who may register staff at the school end a registration', async () => {
    // given a registered member
    const { staffId } = await registered(person('钱芳'));
    const end = (client: SignedInClient, id = staffId) =>
      client.post(`/api/staff/members/${id}/end`, { reason: '调离本校', endDate: today() });

    // when / then the county bureau, who reads the staff but registers none, is refused (403)
    expect((await end(county)).status).toBe(403);
    // and a teacher, a parent and another school's admin are not told it exists (404)
    for (const stranger of [teacher, parent, strangerAdmin])
      expect((await end(stranger)).status).toBe(404);
    // and nobody ends a member that does not exist
    expect((await end(admin, 'staff-nobody')).status).toBe(404);
    // and the member still serves
    expect((await membersOf(admin)).map((m) => m.id)).toContain(staffId);
    expect(await staffModels(h.db.connection).endings.countDocuments({ _id: staffId })).toBe(0);

    // when the principal ends it
    const res = await end(principal);

    // then it is ended
    expect(res.status).toBe(200);
    expect((await membersOf(admin)).map((m) => m.id)).not.toContain(staffId);
  }, 60_000);

  it('should tell each reader whether they may end a member, so the browser shows the action only then', async () => {
    // given a registered member
    const { staffId } = await registered(person('孙丽'));
    const endOf = async (client: SignedInClient, query = '') =>
      (await membersOf(client, query)).find((m) => m.id === staffId)?.actions.end;

    // when / then the school's admin and principal may end it, the county bureau only reads it
    expect(await endOf(admin)).toBe(true);
    expect(await endOf(principal)).toBe(true);
    expect(await endOf(county)).toBe(false);

    // when it is ended
    const res = await admin.post(`/api/staff/members/${staffId}/end`, {
      reason: '调离本校',
      endDate: today(),
    });

    // then nobody may end it again
    expect(res.body.actions).toEqual({ end: false });
    expect(await endOf(admin, '&status=ended')).toBe(false);
  }, 60_000);
});
