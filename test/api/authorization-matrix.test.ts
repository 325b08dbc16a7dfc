import request from 'supertest';
import { Engine } from '../../server/engine/engine';
import { createMonitor } from '../../server/modules/monitor';
import { createAudit } from '../../server/modules/audit';
import { type Catalog, createCatalog, loadCityTemplates } from '../../server/modules/catalog';
import { createForms } from '../../server/modules/forms';
import type { Principal } from '../../server/auth/principal';
import {
  AUTHORIZATION_TABLE,
  type Grant,
  STUDENT_FIELDS,
  STUDENT_PUBLIC_FIELDS,
  STUDENT_SENSITIVE_FIELDS,
  type SubjectName,
} from '../../server/auth/authorization-table';
import { type Membership, type Role, ROLES, scopeLevel } from '../../server/auth/roles';
import {
  type ClassDoc,
  orgModels,
  type SchoolDoc,
  type StudentDoc,
} from '../../server/modules/org/org.model';
import {
  buildStudent,
  classScope,
  type IdentityHarness,
  membershipPerRole,
  type OrgTree,
  schoolScope,
  type SignedInClient,
  signIn,
  startIdentityHarness,
} from '../fixtures/identity';
import { deployMonitorProcess, failCheck, MONITOR_PROCESS } from '../fixtures/monitor';
import { CATALOG_FIXTURE_DIRS, catalogFixture, ENROLMENT } from '../fixtures/catalog';

/**
 * Every role × every endpoint × own tenant / other tenant, with the expected answer computed
 * from server/auth/authorization-table.ts by this file's own reading of the grants (not by
 * CASL), so the implementation and the table cannot drift apart unnoticed. The own tenant is
 * city A (a county, a school with two classes); the other tenant is city B.
 */

type Row = { _id: string } & Record<string, unknown>;

describe('authorization matrix', () => {
  let h: IdentityHarness;
  let a: OrgTree;
  let b: OrgTree;
  let classA2: ClassDoc;
  let ownSchools: SchoolDoc[];
  let ownClasses: ClassDoc[];
  let ownStudents: StudentDoc[];
  let otherStudent: StudentDoc;
  let engine: Engine;
  let ownInstances: Row[];
  let otherInstance: Row;
  let catalog: Catalog;
  let ownVariants: Row[];
  let otherVariant: Row;
  const clients = new Map<Role, { client: SignedInClient; userId: string; m: Membership }>();

  beforeAll(async () => {
    h = await startIdentityHarness({}, async (db, logger, auth) => {
      engine = new Engine(db, { logger });
      await engine.start();
      await deployMonitorProcess(engine);
      const monitor = createMonitor({ db, engine, requireSession: auth.requireSession });
      const audit = await createAudit({ db, requireSession: auth.requireSession });
      catalog = await createCatalog({
        db,
        engine,
        audit: audit.log,
        logger,
        requireSession: auth.requireSession,
      });
      const forms = createForms({
        core: catalog.core,
        logger,
        requireSession: auth.requireSession,
      });
      await loadCityTemplates(CATALOG_FIXTURE_DIRS, catalog, forms.service, logger);
      return [
        { path: '/api/monitor', router: monitor.router },
        { path: '/api/catalog/processes', router: catalog.router },
        { path: '/api/catalog/forms', router: forms.router },
        { path: '/api/audit', router: audit.router },
      ];
    });
    const stamp = Date.now().toString(36);
    a = await h.createOrgTree({ cityId: `city-a-${stamp}` });
    b = await h.createOrgTree({ cityId: `city-b-${stamp}` });
    classA2 = { ...a.class, _id: `${a.grade._id}-c2`, number: 2, name: '三年级（2）班' };
    await orgModels(h.db.connection).classes.create(classA2);

    const memberships = membershipPerRole(a);
    const users = new Map<Role, string>();
    for (const role of ROLES) {
      const kind = role === 'parent' ? 'parent' : role === 'worker' ? 'service' : 'staff';
      const user = await h.createUser({ kind, memberships: [memberships[role]] });
      users.set(role, user._id);
      const client = await signIn(h.app, { phone: user.phone!, password: user.password });
      clients.set(role, { client, userId: user._id, m: memberships[role] });
    }

    const parentId = users.get('parent')!;
    const sensitive = {
      idNumber: '41110220170101701X',
      povertyRegistered: true,
      priorityGroups: {
        disabled: true,
        leftBehind: true,
        migrantWorkerChild: false,
        financialDifficulty: true,
      },
    };
    ownStudents = [
      buildStudent(a, {
        ...sensitive,
        guardians: [{ userId: parentId, relation: 'mother', name: '李梅', phone: '13700009999' }],
      }),
      buildStudent(a, {
        ...sensitive,
        guardians: [{ relation: 'father', name: '王刚', phone: '13700009998' }],
      }),
      buildStudent(a, { ...sensitive, classId: classA2._id }),
    ];
    otherStudent = buildStudent(b, {
      ...sensitive,
      guardians: [{ relation: 'father', name: '赵强', phone: '13700009997' }],
    });
    await h.createStudents([...ownStudents, otherStudent]);
    ownSchools = [a.school];
    ownClasses = [a.class, classA2];
    ownInstances = [
      await startInstance(classScope(a)),
      await startInstance(classScope({ ...a, class: classA2 })),
    ];
    otherInstance = await startInstance(classScope(b));
    ownVariants = [
      { _id: 'city', level: 'city' },
      await deployVariant(a, `county.${a.county._id}`),
      await deployVariant(a, `school.${a.school._id}`),
    ];
    otherVariant = await deployVariant(b, `school.${b.school._id}`);
  });

  /** Deploys the variant fixture at a place of a tree as its city's bureau; returns its row. */
  async function deployVariant(tree: OrgTree, place: string): Promise<Row> {
    const bureau: Principal = {
      userId: `bureau-${tree.cityId}`,
      kind: 'staff',
      displayName: '市教育局',
      memberships: [{ role: 'cityBureau', scope: { cityId: tree.cityId } }],
      roles: ['cityBureau'],
      groups: [],
    };
    await catalog.service.deploy(bureau, place, ENROLMENT, { xml: variantXml(), comment: '' });
    const level = place.startsWith('school.') ? 'school' : 'county';
    return {
      _id: place,
      level,
      cityId: tree.cityId,
      countyId: tree.county._id,
      ...(level === 'school' ? { schoolId: tree.school._id } : {}),
    };
  }

  afterAll(async () => {
    await engine.stop();
    await h.close();
  });

  /** Starts a monitored process instance in a place; returns its scope as a row. */
  async function startInstance(scope: Membership['scope']): Promise<Row> {
    const { gradeId: _gradeId, ...ids } = scope;
    const doc = await engine.createInstance({ bpmnProcessId: MONITOR_PROCESS, variables: ids });
    return { _id: doc._id, ...ids };
  }

  /** An open incident on a new instance in a place. */
  async function incidentIn(scope: Membership['scope']): Promise<string> {
    const { _id } = await startInstance(scope);
    extraInstances.add(_id);
    await failCheck(engine, _id);
    const incident = await engine.collections.incidents.findOne({ processInstanceKey: _id });
    return incident!._id;
  }

  it('should refuse every endpoint without a session', async () => {
    for (const path of [
      '/api/auth/me',
      '/api/org/counties',
      '/api/org/schools',
      '/api/org/classes',
      '/api/org/students',
      `/api/org/students/${ownStudents[0]!._id}`,
      '/api/monitor/instances',
      `/api/monitor/instances/${ownInstances[0]!._id}`,
      `/api/monitor/instances/${ownInstances[0]!._id}/timeline`,
      `/api/monitor/instances/${ownInstances[0]!._id}/incidents`,
      '/api/catalog/processes',
      `/api/catalog/processes/${ENROLMENT}/resolve?schoolId=${a.school._id}`,
      `/api/catalog/processes/${ENROLMENT}/city/versions`,
      '/api/catalog/forms',
      '/api/audit',
    ]) {
      const res = await request(h.app).get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 401 });
    }
  });

  it('should combine memberships: personal fields only where one of them grants them', async () => {
    // given a class teacher of class 1 who also teaches the whole school
    const user = await h.createUser({
      memberships: [
        { role: 'classTeacher', scope: classScope(a) },
        { role: 'teacher', scope: schoolScope(a) },
      ],
    });
    const client = await signIn(h.app, { phone: user.phone!, password: user.password });
    const [inClass, , otherClass] = ownStudents;

    // when
    const list = await client.agent.get('/api/org/students');
    const own = await client.agent.get(`/api/org/students/${inClass!._id}`);
    const taught = await client.agent.get(`/api/org/students/${otherClass!._id}`);
    const foreign = await client.agent.get(`/api/org/students/${otherStudent._id}`);

    // then
    expect(ids(list.body.items)).toEqual(ownStudents.map((s) => s._id).sort());
    expect(Object.keys(own.body).sort()).toEqual([...STUDENT_FIELDS].sort());
    expect(Object.keys(taught.body).sort()).toEqual([...STUDENT_PUBLIC_FIELDS].sort());
    expect(foreign.status).toBe(404);
  });

  describe.each(ROLES)('%s', (role) => {
    const who = () => clients.get(role)!;
    const expectedIds = (subject: SubjectName, rows: Row[]) =>
      rows.filter((r) => isVisible(role, who(), subject, r)).map((r) => r._id);

    it('should show GET /api/auth/me its own user (own tenant)', async () => {
      const res = await who().client.agent.get('/api/auth/me');
      expect(res.status).toBe(canSelf(role) ? 200 : 403);
      expect(res.body.user.id).toBe(who().userId);
    });

    it('should never show GET /api/auth/me another user (other tenant)', async () => {
      const res = await who().client.agent.get('/api/auth/me');
      expect(JSON.stringify(res.body)).not.toContain(otherStudent._id);
      expect(res.body.user.id).toBe(who().userId);
    });

    it('should list exactly the schools the table grants (own tenant)', async () => {
      const res = await who().client.agent.get('/api/org/schools');
      expect(res.status).toBe(200);
      expect(ids(res.body.items)).toEqual(
        expectedIds('School', ownSchools as unknown as Row[]).sort(),
      );
    });

    it('should list no school of another tenant (other tenant)', async () => {
      const all = await who().client.agent.get('/api/org/schools?limit=200');
      const filtered = await who().client.agent.get(`/api/org/schools?countyId=${b.county._id}`);
      expect([all.status, filtered.status]).toEqual([200, 200]);
      expect(ids(all.body.items)).not.toContain(b.school._id);
      expect(filtered.body).toMatchObject({ total: 0, items: [] });
    });

    it('should list exactly the classes the table grants (own tenant)', async () => {
      const res = await who().client.agent.get('/api/org/classes');
      expect(res.status).toBe(200);
      expect(ids(res.body.items)).toEqual(
        expectedIds('Class', ownClasses as unknown as Row[]).sort(),
      );
    });

    it('should list no class of another tenant (other tenant)', async () => {
      const all = await who().client.agent.get('/api/org/classes?limit=200');
      const filtered = await who().client.agent.get(`/api/org/classes?schoolId=${b.school._id}`);
      expect([all.status, filtered.status]).toEqual([200, 200]);
      expect(ids(all.body.items)).not.toContain(b.class._id);
      expect(filtered.body).toMatchObject({ total: 0, items: [] });
    });

    it('should list exactly the students the table grants, without personal fields (own tenant)', async () => {
      const res = await who().client.agent.get('/api/org/students');
      expect(res.status).toBe(200);
      expect(ids(res.body.items)).toEqual(
        expectedIds('Student', ownStudents as unknown as Row[]).sort(),
      );
      for (const item of res.body.items as Record<string, unknown>[])
        for (const field of STUDENT_SENSITIVE_FIELDS) expect(item).not.toHaveProperty(field);
      expect(JSON.stringify(res.body)).not.toMatch(/1370000999|41110220170101701X/);
    });

    it('should list no student of another tenant (other tenant)', async () => {
      const all = await who().client.agent.get('/api/org/students?limit=200');
      const filtered = await who().client.agent.get(`/api/org/students?schoolId=${b.school._id}`);
      expect([all.status, filtered.status]).toEqual([200, 200]);
      expect(ids(all.body.items)).not.toContain(otherStudent._id);
      expect(filtered.body).toMatchObject({ total: 0, items: [] });
    });

    it('should show each own student with the fields the table grants, or 404 (own tenant)', async () => {
      for (const student of ownStudents) {
        const res = await who().client.agent.get(`/api/org/students/${student._id}`);
        const fields = visibleFields(role, who(), student as unknown as Row);
        if (!fields) {
          expect({ id: student._id, status: res.status }).toEqual({ id: student._id, status: 404 });
          continue;
        }
        expect({ id: student._id, status: res.status }).toEqual({ id: student._id, status: 200 });
        expect(Object.keys(res.body).sort()).toEqual([...fields].sort());
        if (fields.includes('idNumber'))
          expect(res.body).toMatchObject({
            idNumber: student.idNumber,
            povertyRegistered: true,
            priorityGroups: { disabled: true },
          });
      }
    });

    it('should answer 404 for a student of another tenant (other tenant)', async () => {
      const res = await who().client.agent.get(`/api/org/students/${otherStudent._id}`);
      expect(res.status).toBe(404);
      expect(JSON.stringify(res.body)).not.toMatch(/41110220170101701X|13700009997/);
    });

    it('should list exactly the process instances the table grants (own tenant)', async () => {
      const res = await who().client.agent.get('/api/monitor/instances?size=100');
      expect(res.status).toBe(200);
      expect(keysOf(res.body.items).filter((k) => !isExtra(k))).toEqual(
        expectedIds('Instance', ownInstances).sort(),
      );
    });

    it('should list no process instance of another tenant (other tenant)', async () => {
      const all = await who().client.agent.get('/api/monitor/instances?size=100');
      const filtered = await who().client.agent.get(
        `/api/monitor/instances?schoolId=${b.school._id}`,
      );
      expect([all.status, filtered.status]).toEqual([200, 200]);
      expect(keysOf(all.body.items)).not.toContain(otherInstance._id);
      expect(filtered.body).toMatchObject({ total: 0, items: [] });
    });

    it('should show each own process instance, its timeline and incidents, or 404 (own tenant)', async () => {
      for (const instance of ownInstances) {
        const expected = isVisible(role, who(), 'Instance', instance) ? 200 : 404;
        for (const path of ['', '/timeline', '/incidents']) {
          const res = await who().client.agent.get(`/api/monitor/instances/${instance._id}${path}`);
          expect({ path, status: res.status }).toEqual({ path, status: expected });
        }
        const detail = await who().client.agent.get(`/api/monitor/instances/${instance._id}`);
        if (expected === 200)
          expect(detail.body.actions).toEqual({ retry: mayUpdate(role, who(), instance) });
      }
    });

    it('should answer 404 for a process instance of another tenant (other tenant)', async () => {
      for (const path of ['', '/timeline', '/incidents']) {
        const res = await who().client.agent.get(
          `/api/monitor/instances/${otherInstance._id}${path}`,
        );
        expect({ path, status: res.status }).toEqual({ path, status: 404 });
      }
    });

    it('should let retry an incident only where the table grants update (own tenant)', async () => {
      const scope = classScope(a);
      const row = { _id: '', ...scope };
      const key = await incidentIn(scope);
      const res = await who().client.post(`/api/monitor/incidents/${key}/retry`);
      const expected = mayUpdate(role, who(), row)
        ? 204
        : isVisible(role, who(), 'Instance', row)
          ? 403
          : 404;
      expect(res.status).toBe(expected);
    });

    it('should answer 404 to retrying an incident of another tenant (other tenant)', async () => {
      const key = await incidentIn(classScope(b));
      const res = await who().client.post(`/api/monitor/incidents/${key}/retry`);
      expect(res.status).toBe(404);
      expect((await engine.collections.incidents.findOne({ _id: key }))?.state).toBe('ACTIVE');
    });

    it('should list exactly the process versions the table grants (own tenant)', async () => {
      const res = await who().client.agent.get(`/api/catalog/processes?id=${ENROLMENT}`);
      expect(res.status).toBe(200);
      expect(placesOf(res.body.items)).toEqual(expectedIds('Process', ownVariants).sort());
      for (const v of ownVariants) {
        const versions = await who().client.agent.get(
          `/api/catalog/processes/${ENROLMENT}/${v._id}/versions`,
        );
        const expected = isVisible(role, who(), 'Process', v) ? 200 : 404;
        expect({ place: v._id, status: versions.status }).toEqual({
          place: v._id,
          status: expected,
        });
      }
    });

    it('should list no process version of another tenant (other tenant)', async () => {
      const all = await who().client.agent.get('/api/catalog/processes');
      const versions = await who().client.agent.get(
        `/api/catalog/processes/${ENROLMENT}/${otherVariant._id}/versions`,
      );
      expect(all.status).toBe(200);
      expect(placesOf(all.body.items)).not.toContain(otherVariant._id);
      expect(versions.status).toBe(404);
    });

    it('should deploy a variant only where the table grants create (own tenant)', async () => {
      for (const v of ownVariants.filter((x) => x.level !== 'city')) {
        const res = await who().client.post(
          `/api/catalog/processes/${ENROLMENT}/${v._id}/versions`,
          { xml: variantXml() },
        );
        const expected = mayCreate(role, who(), 'Process', v)
          ? 'deployed'
          : isVisible(role, who(), 'Process', v)
            ? 403
            : 404;
        const got = res.status === 200 || res.status === 201 ? 'deployed' : res.status;
        expect({ place: v._id, status: got }).toEqual({ place: v._id, status: expected });
      }
    });

    it('should answer 404 to deploying in another tenant (other tenant)', async () => {
      const res = await who().client.post(
        `/api/catalog/processes/${ENROLMENT}/${otherVariant._id}/versions`,
        { xml: variantXml() },
      );
      expect(res.status).toBe(404);
    });

    it('should resolve the process of a school it may see, or 404 (own and other tenant)', async () => {
      const own = await who().client.agent.get(
        `/api/catalog/processes/${ENROLMENT}/resolve?schoolId=${a.school._id}`,
      );
      const other = await who().client.agent.get(
        `/api/catalog/processes/${ENROLMENT}/resolve?schoolId=${b.school._id}`,
      );
      const sees = isVisible(role, who(), 'School', a.school as unknown as Row);
      expect(own.status).toBe(sees ? 200 : 404);
      if (sees) expect(own.body.place).toBe(`school.${a.school._id}`);
      expect(other.status).toBe(404);
    });

    it('should list exactly the audit entries the table grants, none of another tenant', async () => {
      const res = await who().client.agent.get('/api/audit?size=100');
      expect(res.status).toBe(200);
      expect([...new Set(placesOf(res.body.items))].sort()).toEqual(
        expectedIds('AuditEntry', ownVariants).sort(),
      );
      expect(placesOf(res.body.items)).not.toContain(otherVariant._id);
    });
  });
});

// helpers //////////

/** Instances started by the retry cells (left out when lists are compared). */
const extraInstances = new Set<string>();

function isExtra(key: string): boolean {
  return extraInstances.has(key);
}

function ids(items: { id: string }[]): string[] {
  return items.map((i) => i.id).sort();
}

function placesOf(items: { place: string }[]): string[] {
  return items.map((i) => i.place).sort();
}

/** The fixture variant of the catalog's enrolment template (adds a committee step). */
function variantXml(): string {
  return catalogFixture('variants/committee-variant.bpmn');
}

function mayCreate(
  role: Role,
  who: { userId: string; m: Membership },
  subject: SubjectName,
  row: Row,
): boolean {
  return grantsOf(role, subject, 'create').some((g) => reaches(g, who, row));
}

function keysOf(items: { key: string }[]): string[] {
  return items.map((i) => i.key).sort();
}

function grantsOf(role: Role, subject: SubjectName, action: Grant['action'] = 'read'): Grant[] {
  return AUTHORIZATION_TABLE.filter(
    (g) => g.role === role && g.subject === subject && g.action === action,
  );
}

function mayUpdate(role: Role, who: { userId: string; m: Membership }, row: Row): boolean {
  return grantsOf(role, 'Instance', 'update').some((g) => reaches(g, who, row));
}

function canSelf(role: Role): boolean {
  return grantsOf(role, 'User').some((g) => g.reach === 'self');
}

/** This file's reading of a grant's reach, independent of the ability factory. */
function reaches(g: Grant, who: { userId: string; m: Membership }, row: Row): boolean {
  if (g.reach === 'guardian')
    return ((row.guardians as { userId?: string }[]) ?? []).some((x) => x.userId === who.userId);
  if (g.reach === 'self') return row._id === who.userId;
  const s = who.m.scope;
  const level = scopeLevel(s);
  // catalog documents: `level` and the ids of their place (city documents have none)
  if (g.reach === 'place') {
    if (level === 'city') return row.level === 'city';
    if (level === 'county') return row.level === 'county' && row.countyId === s.countyId;
    return row.level === 'school' && row.schoolId === s.schoolId;
  }
  if (g.reach === 'lineage') {
    if (row.level === 'city') return true;
    if (level === 'city') return row.cityId === s.cityId;
    if (level === 'county') return row.countyId === s.countyId;
    return row.schoolId === s.schoolId || (row.level === 'county' && row.countyId === s.countyId);
  }
  if (g.subject === 'School') {
    if (level === 'city') return row.cityId === s.cityId;
    if (level === 'county') return row.countyId === s.countyId;
    return row._id === s.schoolId;
  }
  if (level === 'city') return row.cityId === s.cityId;
  if (level === 'county') return row.countyId === s.countyId;
  if (level === 'school') return row.schoolId === s.schoolId;
  return g.subject === 'Class' ? row._id === s.classId : row.classId === s.classId;
}

function isVisible(
  role: Role,
  who: { userId: string; m: Membership },
  subject: SubjectName,
  row: Row,
): boolean {
  return grantsOf(role, subject).some((g) => reaches(g, who, row));
}

/** The detail fields of a student for a role, or undefined when the role may not read it. */
function visibleFields(
  role: Role,
  who: { userId: string; m: Membership },
  row: Row,
): readonly string[] | undefined {
  const matching = grantsOf(role, 'Student').filter((g) => reaches(g, who, row));
  if (matching.length === 0) return undefined;
  return matching.some((g) => g.fields === 'all') ? STUDENT_FIELDS : STUDENT_PUBLIC_FIELDS;
}
