import request from 'supertest';
import { createNotifications } from '../../server/modules/notifications';
import { orgModels, type StudentDoc } from '../../server/modules/org/org.model';
import type { Wecom } from '../../server/modules/wecom';
import { wecomModels } from '../../server/modules/wecom/wecom.model';
import {
  buildStudent,
  classScope,
  type IdentityHarness,
  type OrgTree,
  schoolScope,
  type SignedInClient,
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
 * WeCom through HTTP against a contract server of its API, on the real database: a school's
 * admin enters the app (secrets sealed, never shown), notifications to people with a WeCom
 * identity go out as WeCom messages within each person's limits (beyond them they wait, never
 * lost), every recipient's outcome is recorded, school contact changes link parents to their
 * children, and staff and parents sign in through WeCom.
 */
const APP = TEST_WECOM_APP;

describe('WeCom', () => {
  let fake: FakeWecom;
  let h: IdentityHarness;
  let wecom: Wecom;
  let a: OrgTree;
  let b: OrgTree;
  let adminA: SignedInClient;
  let adminB: SignedInClient;
  let teacher: SignedInClient;
  let teacherId: string;
  let worker: SignedInClient;
  let parentId: string;
  let parentPhone: string;
  let student: StudentDoc;
  let seq = 0;

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
      return [
        { path: '/api/notifications', router: notifications.router },
        { path: '/api/wecom', router: wecom.router },
        { path: '/api/auth/wecom', router: wecom.oauthRouter },
      ];
    });
    a = await h.createOrgTree();
    b = await h.createOrgTree();
    const aa = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(a) }],
    });
    adminA = await signIn(h.app, { phone: aa.phone!, password: aa.password });
    const ab = await h.createUser({
      memberships: [{ role: 'schoolAdmin', scope: schoolScope(b) }],
    });
    adminB = await signIn(h.app, { phone: ab.phone!, password: ab.password });
    const t = await h.createUser({ memberships: [{ role: 'classTeacher', scope: classScope(a) }] });
    teacherId = t._id;
    teacher = await signIn(h.app, { phone: t.phone!, password: t.password });
    const w = await h.createUser({
      kind: 'service',
      memberships: [{ role: 'worker', scope: { cityId: a.cityId } }],
    });
    worker = await signIn(h.app, { phone: w.phone!, password: w.password });
    const p = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(a) }],
    });
    parentId = p._id;
    parentPhone = p.phone!;
    student = buildStudent(a, {
      guardians: [{ relation: 'father', name: '张大一', phone: parentPhone }],
    });
    await h.createStudents([student]);
    fake.members.add('zhang.teacher');
  });

  afterAll(async () => {
    await wecom.stop();
    await h.close();
    await fake.close();
  });

  const appUrl = (tree: OrgTree) => `/api/wecom/apps/school/${tree.school._id}`;
  const notify = (users: string[], data: Record<string, unknown> = {}) =>
    worker.post('/api/notifications', {
      key: `k-${++seq}`,
      template: 'generic',
      users,
      data: { studentName: '张小一', ...data },
    });
  const m = () => wecomModels(h.db.connection);

  /** Signs in through WeCom with a code the fake issued; answers the callback's response. */
  async function wecomSignIn(
    agent: ReturnType<typeof request.agent>,
    code: string,
    as: 'staff' | 'parent' = 'staff',
  ) {
    const start = await agent
      .get('/api/auth/wecom/authorize')
      .query({ level: 'school', placeId: a.school._id, as, returnTo: '/inbox' });
    expect(start.status).toBe(302);
    const state = new URL(start.headers.location as string).searchParams.get('state')!;
    return agent.get('/api/auth/wecom/callback').query({ code, state });
  }

  /** A change to the school's contact book as WeCom posts it, sent `ageSeconds` ago. */
  const contactChange = (changeType: string, id: string, ageSeconds = 0) =>
    schoolContactChange(fake, changeType, id, ageSeconds);

  /** Posts a callback to school a's callback URL, signed as `query` says. */
  const postCallback = (cb: { query: Record<string, string>; body: string }, query = cb.query) =>
    postSchoolCallback(h.app, a.school._id, cb, query);

  it("should store a school's WeCom app sealed and never show or log its secrets", async () => {
    // when the school's admin enters the app
    const put = await adminA.agent.put(appUrl(a)).set('x-csrf-token', adminA.csrfToken).send({
      corpId: APP.corpId,
      agentId: APP.agentId,
      secret: APP.secret,
      callbackToken: APP.token,
      encodingAesKey: APP.encodingAesKey,
    });
    const get = await adminA.agent.get(appUrl(a));

    // then the settings come back without secrets, with the URLs to enter at WeCom
    expect(put.status).toBe(200);
    expect(get.body).toEqual({
      level: 'school',
      placeId: a.school._id,
      corpId: APP.corpId,
      agentId: APP.agentId,
      cardStyle: 'textcard',
      hasSecret: true,
      hasCallback: true,
      callbackUrl: `https://kehou.example/api/wecom/callback/school/${a.school._id}`,
      trustedDomain: 'kehou.example',
      updatedAt: expect.any(String),
    });
    const everything = JSON.stringify([put.body, get.body, h.logs]);
    const stored = JSON.stringify(await m().apps.findById(`wecom:school:${a.school._id}`).lean());
    for (const secret of [APP.secret, APP.encodingAesKey]) {
      expect(everything).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
  });

  it("should not let another school's admin or a teacher read or set the app", async () => {
    // when
    const otherRead = await adminB.agent.get(appUrl(a));
    const otherWrite = await adminB.agent
      .put(appUrl(a))
      .set('x-csrf-token', adminB.csrfToken)
      .send({ corpId: 'wwevil0000000000', agentId: 1, secret: 'x'.repeat(32) });
    const teacherRead = await teacher.agent.get(appUrl(a));

    // then
    expect(otherRead.status).toBe(404);
    expect(otherWrite.status).toBe(404);
    expect(teacherRead.status).toBe(404);
    expect((await adminA.agent.get(appUrl(a))).body.corpId).toBe(APP.corpId);
  });

  it("should answer WeCom's URL verification and refuse a forged one", async () => {
    // given
    const q = fake.verification('echo-12345');

    // when
    const ok = await request(h.app).get(`/api/wecom/callback/school/${a.school._id}`).query(q);
    const forged = await request(h.app)
      .get(`/api/wecom/callback/school/${a.school._id}`)
      .query({ ...q, msg_signature: '0'.repeat(40) });

    // then
    expect(ok.status).toBe(200);
    expect(ok.text).toBe('echo-12345');
    expect(forged.status).toBe(401);
  });

  it('should refuse a WeCom sign-in whose identity is linked to nobody', async () => {
    // when someone WeCom knows signs in without an account linked
    const res = await wecomSignIn(
      request.agent(h.app),
      fake.issueCode({ userId: 'zhang.teacher' }),
    );

    // then
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('WECOM_NOT_LINKED');
  });

  it('should link a signed-in teacher to their WeCom member id, then sign them in through WeCom', async () => {
    // given the teacher, signed in with the password, signs in through WeCom once
    const link = await wecomSignIn(teacher.agent, fake.issueCode({ userId: 'zhang.teacher' }));
    expect(link.status).toBe(303);

    // when a fresh browser signs in through WeCom
    const browser = request.agent(h.app);
    const res = await wecomSignIn(browser, fake.issueCode({ userId: 'zhang.teacher' }));
    const me = await browser.get('/api/auth/me');

    // then it lands where it asked to, signed in as the teacher
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/inbox');
    expect(me.status).toBe(200);
    expect(me.body.user.id).toBe(teacherId);
  });

  it('should refuse a sign-in whose state was not started in this browser, or a used code', async () => {
    // given a state started by one browser
    const code = fake.issueCode({ userId: 'zhang.teacher' });
    const start = await request
      .agent(h.app)
      .get('/api/auth/wecom/authorize')
      .query({ level: 'school', placeId: a.school._id });
    const state = new URL(start.headers.location as string).searchParams.get('state')!;

    // when another browser (without the cookie) comes back with it, or a code is replayed
    const stolen = await request(h.app).get('/api/auth/wecom/callback').query({ code, state });
    const browser = request.agent(h.app);
    await wecomSignIn(browser, code);
    const replay = await wecomSignIn(browser, code);

    // then
    expect(stolen.status).toBe(403);
    expect(stolen.body.code).toBe('WECOM_STATE_INVALID');
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('WECOM_CODE_INVALID');
  });

  it("should send a teacher's notification as a WeCom text card linking to the task, and record it", async () => {
    // given
    const before = fake.appMessages.length;

    // when the notify worker tells the teacher, and the queue drains
    const sent = await notify([teacherId], { taskKey: '2251799813685251' });
    const drained = await wecom.delivery.drain();

    // then WeCom delivered one card to the teacher's member id, linking to the task
    expect(sent.status).toBe(200);
    expect(drained.sent).toBe(1);
    expect(fake.appMessages.slice(before)).toEqual([
      expect.objectContaining({
        to: 'zhang.teacher',
        msgtype: 'textcard',
        url: 'https://kehou.example/tasks/2251799813685251',
      }),
    ]);
    const [delivery] = await m()
      .deliveries.find({ notificationId: `k-${seq}|user:${teacherId}` })
      .lean();
    expect(delivery).toMatchObject({
      outcome: 'sent',
      kind: 'member',
      wecomUserId: 'zhang.teacher',
    });
    expect(await m().queue.countDocuments({})).toBe(0);
  });

  it('should record invaliduser for a member WeCom does not know, and keep the in-app notification', async () => {
    // given a staff member linked to a WeCom id the corp does not have
    const s = await h.createUser({ memberships: [{ role: 'teacher', scope: schoolScope(a) }] });
    await h.auth.service.users.linkExternalIdentity(s._id, {
      provider: 'wecom',
      corpId: APP.corpId,
      userId: 'left.the.school',
    });
    const staff = await signIn(h.app, { phone: s.phone!, password: s.password });

    // when
    await notify([s._id, teacherId]);
    await wecom.delivery.drain();

    // then the teacher got it, the other one is recorded as invaliduser and reads it in the app
    const rows = await m()
      .deliveries.find({ notificationId: { $regex: `^k-${seq}\\|` } })
      .lean();
    expect(Object.fromEntries(rows.map((r) => [r.wecomUserId, r.outcome]))).toEqual({
      'zhang.teacher': 'sent',
      'left.the.school': 'invaliduser',
    });
    const inApp = await staff.agent.get('/api/notifications');
    expect(inApp.body.items.map((n: { id: string }) => n.id)).toContain(`k-${seq}|user:${s._id}`);
  });

  it('should keep messages beyond 30 a minute queued and send them in the next minute, none lost', async () => {
    // given a minute of its own
    fake.advance(3600_000);
    const before = fake.appMessages.filter((x) => x.to === 'zhang.teacher').length;

    // when 35 notifications reach the teacher within a minute
    for (let i = 0; i < 35; i++) expect((await notify([teacherId])).status).toBe(200);
    const first = await wecom.delivery.drain();
    const waiting = await m().queue.countDocuments({});
    fake.advance(61_000);
    const second = await wecom.delivery.drain();

    // then 30 went at once, 5 waited in the queue, and WeCom dropped none
    expect(first).toMatchObject({ sent: 30, deferred: 5 });
    expect(waiting).toBe(5);
    expect(second.sent).toBe(5);
    expect(fake.appMessages.filter((x) => x.to === 'zhang.teacher').length - before).toBe(35);
    expect(fake.dropped).toEqual([]);
  });

  it('should back off on 45009 and on an expired token, and deliver afterwards', async () => {
    // given WeCom's API budget exhausted once, and every token expired
    fake.advance(3600_000);
    fake.expireTokens();
    fake.failNext('/cgi-bin/message/send', 1, 45009);
    const before = fake.appMessages.length;

    // when
    await notify([teacherId]);
    const first = await wecom.delivery.drain();
    const soon = await wecom.delivery.drain();
    fake.advance(61_000);
    const later = await wecom.delivery.drain();

    // then nothing was sent while backing off, then once
    expect(first).toMatchObject({ sent: 0, deferred: 1 });
    expect(soon.sent).toBe(0);
    expect(later.sent).toBe(1);
    expect(fake.appMessages.length - before).toBe(1);
    const [row] = await m()
      .deliveries.find({ notificationId: `k-${seq}|user:${teacherId}` })
      .lean();
    expect(row).toMatchObject({ outcome: 'sent', attempts: 2 });
  });

  it("should reach a candidate group's members once, also when one of them is named directly", async () => {
    // given
    fake.advance(3600_000);
    const before = fake.appMessages.length;

    // when the class teachers' group and the teacher by name are told the same thing
    const res = await worker.post('/api/notifications', {
      key: `k-${++seq}`,
      template: 'generic',
      users: [teacherId],
      groups: [`class:${a.class._id}:teacher`, `school:${a.school._id}:admin`],
      data: { studentName: '张小一' },
    });
    await wecom.delivery.drain();

    // then the teacher got one WeCom message (the admin has no WeCom identity)
    expect(res.status).toBe(200);
    expect(fake.appMessages.slice(before).map((x) => x.to)).toEqual(['zhang.teacher']);
  });

  it("should send staff template cards when the school's app is set so", async () => {
    // given the admin chooses template cards
    fake.advance(3600_000);
    const put = await adminA.agent.put(appUrl(a)).set('x-csrf-token', adminA.csrfToken).send({
      corpId: APP.corpId,
      agentId: APP.agentId,
      secret: APP.secret,
      cardStyle: 'template_card',
      callbackToken: APP.token,
      encodingAesKey: APP.encodingAesKey,
    });
    const before = fake.appMessages.length;

    // when
    await notify([teacherId], { taskKey: '2251799813685999' });
    await wecom.delivery.drain();

    // then
    expect(put.body.cardStyle).toBe('template_card');
    expect(fake.appMessages.slice(before)).toEqual([
      expect.objectContaining({
        to: 'zhang.teacher',
        msgtype: 'template_card',
        url: 'https://kehou.example/tasks/2251799813685999',
      }),
    ]);
  });

  it('should link a parent to their child when the school contact book adds them, once however often WeCom repeats it', async () => {
    // given the school adds the parent in its WeCom contact book, with the child
    fake.students.set(student._id, { name: student.name });
    fake.parents.set('zhang.baba', {
      mobile: parentPhone,
      children: [{ studentUserId: student._id, relation: '爸爸' }],
    });
    const cb = contactChange('create_parent', 'zhang.baba');
    const post = () => postCallback(cb);

    // when WeCom posts the event three times
    const reads = () => fake.log.filter((l) => l.path === '/cgi-bin/school/user/get').length;
    const readsBefore = reads();
    const results = [await post(), await post(), await post()];

    // then the parent's account is the child's guardian and linked to the parent_userid
    expect(results.map((r) => [r.status, r.text])).toEqual([
      [200, 'success'],
      [200, 'success'],
      [200, 'success'],
    ]);
    expect(reads() - readsBefore).toBe(1);
    const s = await orgModels(h.db.connection).students.findById(student._id).lean();
    expect(s?.guardians).toEqual([
      expect.objectContaining({ userId: parentId, phone: parentPhone, relation: 'father' }),
    ]);
    const linked = await h.auth.service.users.findByExternalIdentity({
      provider: 'wecom-external',
      corpId: APP.corpId,
      externalUserId: 'zhang.baba',
    });
    expect(linked?._id).toBe(parentId);
  });

  it('should refuse a posted callback with a forged signature', async () => {
    // given
    const cb = fake.callback({
      Event: 'change_school_contact',
      ChangeType: 'delete_parent',
      Id: 'zhang.baba',
    });

    // when
    const res = await postCallback(cb, { ...cb.query, msg_signature: 'f'.repeat(40) });

    // then nothing changed
    expect(res.status).toBe(401);
    const s = await orgModels(h.db.connection).students.findById(student._id).lean();
    expect(s?.guardians[0]?.userId).toBe(parentId);
  });

  it("should send a parent's notification as a school notification to their parent_userid", async () => {
    // given
    fake.advance(3600_000);
    const before = fake.schoolMessages.length;

    // when
    await notify([parentId]);
    await wecom.delivery.drain();

    // then
    expect(fake.schoolMessages.slice(before)).toEqual([
      expect.objectContaining({
        to: 'zhang.baba',
        msgtype: 'news',
        url: `https://kehou.example/notifications?n=k-${seq}`,
      }),
    ]);
    const [row] = await m()
      .deliveries.find({ notificationId: `k-${seq}|user:${parentId}` })
      .lean();
    expect(row).toMatchObject({ kind: 'parent', outcome: 'sent' });
  });

  it('should sign a parent in through the school contact book', async () => {
    // when
    const browser = request.agent(h.app);
    const res = await wecomSignIn(
      browser,
      fake.issueCode({ parentUserId: 'zhang.baba' }),
      'parent',
    );
    const me = await browser.get('/api/auth/me');

    // then
    expect(res.status).toBe(303);
    expect(me.body.user.id).toBe(parentId);
  });

  it('should unlink the parent from the child when the school deletes them from the contact book', async () => {
    // given
    fake.parents.delete('zhang.baba');
    const cb = contactChange('delete_parent', 'zhang.baba');

    // when
    const res = await postCallback(cb);

    // then the guardian stays on the roster without the account, and WeCom sign-in stops
    expect(res.status).toBe(200);
    const s = await orgModels(h.db.connection).students.findById(student._id).lean();
    expect(s?.guardians).toEqual([
      expect.objectContaining({ phone: parentPhone, relation: 'father' }),
    ]);
    expect(s?.guardians[0]?.userId).toBeUndefined();
    const again = await wecomSignIn(
      request.agent(h.app),
      fake.issueCode({ parentUserId: 'zhang.baba' }),
      'parent',
    );
    expect(again.status).toBe(401);
  });

  it('should ignore an older parent update arriving after the deletion', async () => {
    // given an update WeCom sent before the deletion, delivered late
    const cb = contactChange('update_parent', 'zhang.baba', 600);

    // when
    const res = await postCallback(cb);

    // then the parent stays unlinked: WeCom's record, read back, has no such parent any more
    expect(res.status).toBe(200);
    const s = await orgModels(h.db.connection).students.findById(student._id).lean();
    expect(s?.guardians[0]?.userId).toBeUndefined();
  });

  it('should create the account of a new parent when the school adds a student with them', async () => {
    // given a student of ours, named in WeCom by 学籍号, whose mother we have no account for
    const child = buildStudent(a, { guardians: [] });
    await h.createStudents([child]);
    fake.students.set(child.studentNo, { name: child.name });
    fake.parents.set('li.mama', {
      mobile: '13912345678',
      children: [{ studentUserId: child.studentNo, relation: '妈妈' }],
    });
    const cb = contactChange('create_student', child.studentNo);

    // when
    const res = await postCallback(cb);

    // then a parent account of the child's class is the child's guardian and signs in by WeCom
    expect(res.status).toBe(200);
    const s = await orgModels(h.db.connection).students.findById(child._id).lean();
    expect(s?.guardians).toEqual([
      expect.objectContaining({
        phone: '13912345678',
        relation: 'mother',
        userId: expect.any(String),
      }),
    ]);
    const mother = await h.auth.service.users.findById(s!.guardians[0]!.userId!);
    expect(mother).toMatchObject({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(a) }],
    });
    const browser = request.agent(h.app);
    const signedIn = await wecomSignIn(
      browser,
      fake.issueCode({ parentUserId: 'li.mama' }),
      'parent',
    );
    expect(signedIn.status).toBe(303);
    expect((await browser.get('/api/auth/me')).body.user.id).toBe(mother!._id);
  });

  it('should make a parent already known by phone a parent of each class WeCom links a child of theirs in', async () => {
    // given a mother with an account for her child in one class, and a second child in
    // another class of the school whom we have not linked to her yet
    const mother = await h.createUser({
      kind: 'parent',
      memberships: [{ role: 'parent', scope: classScope(a) }],
    });
    const elder = buildStudent(a, {
      guardians: [{ relation: 'mother', name: '王妈妈', phone: mother.phone!, userId: mother._id }],
    });
    const otherClass = { ...a.class, _id: `${a.grade._id}-c2`, number: 2, name: '三年级（2）班' };
    await orgModels(h.db.connection).classes.create(otherClass);
    const a2 = { ...a, class: otherClass };
    const younger = buildStudent(a2, { guardians: [] });
    await h.createStudents([elder, younger]);
    fake.students.set(elder._id, { name: elder.name });
    fake.students.set(younger._id, { name: younger.name });
    fake.parents.set('wang.mama', {
      mobile: mother.phone!,
      children: [
        { studentUserId: elder._id, relation: '妈妈' },
        { studentUserId: younger._id, relation: '妈妈' },
      ],
    });

    // when the school's contact book adds her with both children
    const res = await postCallback(contactChange('create_parent', 'wang.mama'));

    // then she is the guardian of both and a parent of both classes (she may read the
    // school's published plan and answer its surveys for the second child too)
    expect(res.status).toBe(200);
    const y = await orgModels(h.db.connection).students.findById(younger._id).lean();
    expect(y?.guardians).toEqual([expect.objectContaining({ userId: mother._id })]);
    const after = await h.auth.service.users.findById(mother._id);
    expect(after?.memberships).toEqual([
      { role: 'parent', scope: classScope(a) },
      { role: 'parent', scope: classScope(a2) },
    ]);

    // when WeCom repeats the event
    fake.now += 60_000;
    await postCallback(contactChange('update_parent', 'wang.mama'));

    // then nothing is added twice
    expect((await h.auth.service.users.findById(mother._id))?.memberships).toHaveLength(2);
  });
});
