import {
  buildUser,
  classScope,
  type IdentityHarness,
  startIdentityHarness,
} from '../fixtures/identity';
import { userModels } from '../../server/modules/users/users.model';

describe('users and their unique keys', () => {
  let h: IdentityHarness;

  beforeAll(async () => {
    h = await startIdentityHarness();
  });

  afterAll(async () => {
    await h.close();
  });

  it('should let exactly one of several concurrent sign-ups claim a phone number', async () => {
    // given
    const phone = '13755550001';

    // when
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6].map(() => h.auth.service.users.create(buildUser({ phone }))),
    );

    // then
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost.map((r) => (r.reason as { code: string }).code)).toEqual(
      Array(5).fill('PHONE_TAKEN'),
    );
    const user = await h.auth.service.users.findByLogin({ phone });
    expect(user?._id).toBe((won[0] as PromiseFulfilledResult<{ _id: string }>).value._id);
  });

  it('should release the keys it claimed when a later key is taken', async () => {
    // given
    const taken = await h.createUser({ username: 'taken.name' });

    // when
    const attempt = h.auth.service.users.create(
      buildUser({ phone: '13755550002', username: 'Taken.Name' }),
    );

    // then
    await expect(attempt).rejects.toMatchObject({ code: 'USERNAME_TAKEN', status: 409 });
    expect(await h.auth.service.users.findByLogin({ phone: '13755550002' })).toBeNull();
    expect((await h.auth.service.users.findByLogin({ username: 'taken.name' }))?._id).toBe(
      taken._id,
    );
    const again = await h.auth.service.users.create(buildUser({ phone: '13755550002' }));
    expect(again.phone).toBe('13755550002');
  });

  it('should take over a key left behind by a crash between claim and user insert', async () => {
    // given a claim older than a minute whose user was never written
    const { userKeys } = userModels(h.db.connection);
    await userKeys.create({
      _id: 'phone:13755550003',
      userId: 'never-written',
      createdAt: new Date(Date.now() - 5 * 60_000),
    });

    // when
    const user = await h.auth.service.users.create(buildUser({ phone: '13755550003' }));

    // then
    expect((await h.auth.service.users.findByLogin({ phone: '13755550003' }))?._id).toBe(user._id);
  });

  it('should refuse a membership at a level its role does not exist at', async () => {
    // given
    const tree = await h.createOrgTree();

    // when
    const attempt = h.auth.service.users.create(
      buildUser({ memberships: [{ role: 'principal', scope: classScope(tree) }] }),
    );

    // then
    await expect(attempt).rejects.toMatchObject({ code: 'MEMBERSHIP_INVALID', status: 400 });
  });

  it('should link a WeCom member and a parent external contact to one user each', async () => {
    // given
    const teacher = await h.createUser();
    const parent = await h.createUser({ kind: 'parent' });
    const member = { provider: 'wecom' as const, corpId: 'ww-demo', userId: 'LiLaoShi' };
    const contact = {
      provider: 'wecom-external' as const,
      corpId: 'ww-demo',
      externalUserId: 'wmABC123',
    };

    // when
    await h.auth.service.users.linkExternalIdentity(teacher._id, member);
    await h.auth.service.users.linkExternalIdentity(teacher._id, member);
    await h.auth.service.users.linkExternalIdentity(parent._id, contact);
    const stolen = h.auth.service.users.linkExternalIdentity(parent._id, member);

    // then
    await expect(stolen).rejects.toMatchObject({ code: 'EXTERNAL_ID_TAKEN', status: 409 });
    expect((await h.auth.service.users.findByExternalIdentity(member))?._id).toBe(teacher._id);
    expect((await h.auth.service.users.findByExternalIdentity(contact))?._id).toBe(parent._id);
    const stored = await h.auth.service.users.findById(teacher._id);
    expect(stored!.externalIds).toEqual([expect.objectContaining(member)]);
  });
});
