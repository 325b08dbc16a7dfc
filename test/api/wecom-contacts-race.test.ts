import { createNotifications } from '../../server/modules/notifications';
import { orgModels } from '../../server/modules/org/org.model';
import type { Wecom } from '../../server/modules/wecom';
import {
  buildStudent,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import {
  createTestWecom,
  postSchoolCallback,
  schoolContactChange,
  TEST_WECOM_APP,
} from '../fixtures/wecom';
import { startFakeWecom, type FakeWecom } from '../integrations/fakes/wecom-server';

/**
 * Two parents of one child added to the school's WeCom contact book at the same instant (a
 * class imported at once, both callbacks posted together): both become the child's guardians.
 * Each callback read the child, asked WeCom and our accounts, and then wrote the child's whole
 * guardian list from what it had read, so the later write dropped the other parent
 * (regression; FerretDB 1.24 has no compare-and-swap but the insert, ADR 0001).
 */
const APP = TEST_WECOM_APP;

describe('WeCom: two parents of one child added at once', () => {
  let fake: FakeWecom;
  let h: IdentityHarness;
  let wecom: Wecom;
  let a: OrgTree;

  beforeAll(async () => {
    fake = await startFakeWecom(APP);
    h = await startIdentityHarness({}, async (db, logger, auth) => {
      const notifications = await createNotifications({ db, requireSession: auth.requireSession });
      wecom = await createTestWecom(fake, {
        db,
        auth,
        notifications: notifications.service,
        logger,
      });
      return [{ path: '/api/wecom', router: wecom.router }];
    });
    a = await h.createOrgTree();
    const admin = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(a) }],
    });
    const client = await signIn(h.app, { phone: admin.phone!, password: admin.password });
    const put = await client.agent
      .put(`/api/wecom/apps/school/${a.school._id}`)
      .set('x-csrf-token', client.csrfToken)
      .send({
        corpId: APP.corpId,
        agentId: APP.agentId,
        secret: APP.secret,
        callbackToken: APP.token,
        encodingAesKey: APP.encodingAesKey,
      });
    expect(put.status).toBe(200);
  });

  afterAll(async () => {
    await wecom.stop();
    await h.close();
    await fake.close();
  });

  const createParent = (id: string) =>
    postSchoolCallback(h.app, a.school._id, schoolContactChange(fake, 'create_parent', id));

  it('should make both parents guardians of the child', async () => {
    for (let round = 0; round < 4; round++) {
      // given a child of ours with no guardian yet, and in WeCom a mother and a father of theirs
      const child = buildStudent(a, { guardians: [] });
      await h.createStudents([child]);
      fake.students.set(child._id, { name: child.name });
      const phone = (n: number) =>
        `1391${String(round).padStart(3, '0')}${String(n).padStart(4, '0')}`;
      fake.parents.set(`mama-${round}`, {
        mobile: phone(1),
        children: [{ studentUserId: child._id, relation: '妈妈' }],
      });
      fake.parents.set(`baba-${round}`, {
        mobile: phone(2),
        children: [{ studentUserId: child._id, relation: '爸爸' }],
      });

      // when WeCom posts both parents' creation at the same instant
      const answers = await Promise.all([
        createParent(`mama-${round}`),
        createParent(`baba-${round}`),
      ]);

      // then both are the child's guardians, each with an account
      expect(answers.map((r) => [r.status, r.text])).toEqual([
        [200, 'success'],
        [200, 'success'],
      ]);
      const s = await orgModels(h.db.connection).students.findById(child._id).lean();
      expect(
        (s?.guardians ?? []).map((g) => [g.relation, g.phone, Boolean(g.userId)]).sort(),
      ).toEqual([
        ['father', phone(2), true],
        ['mother', phone(1), true],
      ]);
    }
  });
});
