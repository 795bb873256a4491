// Issue 16 acceptance: @clerk/backend's user, session and JWT template
// management calls against tokend, changing only apiUrl. Every assertion is
// on what the SDK hands its caller (its User, EmailAddress, Session and
// JwtTemplate classes, its paginated results), not on HTTP: a call that
// answers 200 and then throws inside the SDK's deserializer fails here.
//
// Usage: node clerk_users_test.cjs BASE_URL SECRET_KEY
//   BASE_URL    http://127.0.0.1:PORT (tokend's REST gateway)
//   SECRET_KEY  a "sessions" API key (sk_…) created with tokenctl
'use strict';

const {createClerkClient} = require('@clerk/backend');
const {Failure, expect, describe, ok, isClerkAPIResponseError} =
    require('./clerk_test_lib.cjs');

const [base, secretKey] = process.argv.slice(2);
if (!base || !secretKey) {
  console.error('usage: node clerk_users_test.cjs BASE_URL SECRET_KEY');
  process.exit(2);
}

const sdkVersion = require('@clerk/backend/package.json').version;
let step = 'start';
// Runs an SDK call; a throw fails the test with what the SDK said.
async function sdk(what, promise) {
  try {
    return await promise;
  } catch (e) {
    throw new Failure(`${what} threw: ${describe(e)}`);
  }
}
const className = (o) => o && o.constructor && o.constructor.name.replace(/^_/, '');

async function main() {
  const clerk = createClerkClient({secretKey, apiUrl: base});

  // createUser as the docs show it, emails and phones included: the SDK
  // deserializes EmailAddress (linked_to.map) and PhoneNumber.
  step = 'users.createUser';
  const created = await sdk('users.createUser', clerk.users.createUser({
    emailAddress: ['ada@example.com'],
    phoneNumber: ['+15555550100'],
    firstName: 'Ada',
    externalId: 'ext-ada',
    publicMetadata: {role: 'admin'},
  }));
  expect(className(created) === 'User', 'createUser -> the SDK\'s User', className(created));
  expect(/^user_/.test(created.id) && created.firstName === 'Ada' &&
         created.lastName === null && created.externalId === 'ext-ada' &&
         created.username === null,
         'createUser: id, firstName, externalId; lastName and username null', created);
  const [email] = created.emailAddresses;
  expect(created.emailAddresses.length === 1 && className(email) === 'EmailAddress' &&
         email.emailAddress === 'ada@example.com' &&
         created.primaryEmailAddressId === email.id,
         'createUser: one EmailAddress, primary', created.emailAddresses);
  expect(email.verification && email.verification.status === 'verified' &&
         email.verification.strategy === 'admin' && Array.isArray(email.linkedTo) &&
         email.linkedTo.length === 0,
         'EmailAddress: verified by admin, linkedTo []', email);
  const [phone] = created.phoneNumbers;
  expect(className(phone) === 'PhoneNumber' && phone.phoneNumber === '+15555550100' &&
         phone.reservedForSecondFactor === false && phone.defaultSecondFactor === false &&
         Array.isArray(phone.linkedTo),
         'createUser: one PhoneNumber, no second factor, linkedTo []', phone);
  // What tokend does not have, said as Clerk says "none".
  expect(created.passwordEnabled === false && created.twoFactorEnabled === false &&
         created.totpEnabled === false && created.backupCodeEnabled === false &&
         created.banned === false && created.locked === false &&
         created.hasImage === false && created.lastSignInAt === null &&
         Array.isArray(created.web3Wallets) && created.web3Wallets.length === 0 &&
         Array.isArray(created.externalAccounts) && created.externalAccounts.length === 0,
         'createUser: no password, MFA, ban, lock, image, sign-in, wallets or accounts',
         created._raw);
  expect(created.publicMetadata.role === 'admin' &&
         typeof created.createdAt === 'number' && created.createdAt > 1.7e12,
         'createUser: publicMetadata kept, createdAt in ms', created._raw);
  ok(`users.createUser -> User ${created.id} with EmailAddress and PhoneNumber`);

  step = 'users.getUser';
  const got = await sdk('users.getUser', clerk.users.getUser(created.id));
  expect(className(got) === 'User' && got.id === created.id &&
         got.emailAddresses[0].emailAddress === 'ada@example.com' &&
         got.primaryEmailAddress && got.primaryEmailAddress.id === email.id &&
         got.primaryPhoneNumber && got.primaryPhoneNumber.id === phone.id,
         'getUser: the same User, primaryEmailAddress/primaryPhoneNumber resolve', got._raw);
  ok('users.getUser -> User with primaryEmailAddress and primaryPhoneNumber');

  step = 'sessions.createSession / getSession';
  const session = await sdk('sessions.createSession',
                            clerk.sessions.createSession({userId: created.id}));
  expect(className(session) === 'Session' && session.userId === created.id &&
         session.status === 'active',
         'createSession -> active Session', session);
  const gotSession = await sdk('sessions.getSession', clerk.sessions.getSession(session.id));
  expect(className(gotSession) === 'Session' && /^client_/.test(gotSession.clientId) &&
         gotSession.abandonAt === gotSession.expireAt && gotSession.expireAt > Date.now() &&
         gotSession.lastActiveOrganizationId === null && gotSession.actor === null,
         'getSession: clientId, abandonAt = expireAt, no organization, no actor', gotSession);
  ok(`sessions.getSession -> Session ${gotSession.id} (client ${gotSession.clientId})`);

  step = 'jwtTemplates';
  const tmpl = await sdk('jwtTemplates.create', clerk.jwtTemplates.create({
    name: 'users-test', claims: {email: '{{user.primary_email_address}}'}, lifetime: 90,
  }));
  expect(className(tmpl) === 'JwtTemplate' && tmpl.signingAlgorithm === 'RS256' &&
         tmpl.lifetime === 90 && tmpl.customSigningKey === false,
         'jwtTemplates.create -> JwtTemplate, RS256 without a custom key', tmpl);
  const gotTmpl = await sdk('jwtTemplates.get', clerk.jwtTemplates.get(tmpl.id));
  expect(gotTmpl.id === tmpl.id && gotTmpl.claims.email === '{{user.primary_email_address}}',
         'jwtTemplates.get -> the same template', gotTmpl);
  ok('jwtTemplates.create/get -> JwtTemplate (signingAlgorithm RS256)');

  // Lists the SDK asks paginated=true of resolve to {data, totalCount},
  // totalCount counting every match, not the page.
  step = 'jwtTemplates.list';
  await sdk('jwtTemplates.create', clerk.jwtTemplates.create({
    name: 'users-test-2', claims: {a: 1},
  }));
  const tmpls = await sdk('jwtTemplates.list', clerk.jwtTemplates.list({limit: 1}));
  expect(tmpls && Array.isArray(tmpls.data) && tmpls.data.length === 1 &&
         className(tmpls.data[0]) === 'JwtTemplate' && tmpls.totalCount === 2,
         'jwtTemplates.list({limit: 1}) -> {data: [1 JwtTemplate], totalCount: 2}', tmpls);
  ok('jwtTemplates.list -> {data, totalCount}');

  step = 'sessions.getSessionList';
  const second = await sdk('sessions.createSession',
                           clerk.sessions.createSession({userId: created.id}));
  const sessions = await sdk('sessions.getSessionList',
                             clerk.sessions.getSessionList({userId: created.id, limit: 1}));
  expect(sessions && Array.isArray(sessions.data) && sessions.data.length === 1 &&
         className(sessions.data[0]) === 'Session' && sessions.totalCount === 2,
         'getSessionList({userId, limit: 1}) -> {data: [1 Session], totalCount: 2}', sessions);
  const byClient = await sdk('sessions.getSessionList(clientId)',
                             clerk.sessions.getSessionList({clientId: gotSession.clientId}));
  expect(byClient.totalCount === 1 && byClient.data[0].id === session.id,
         'getSessionList({clientId}) -> that client\'s session', byClient);
  ok('sessions.getSessionList -> {data, totalCount}, by user and by client');

  // getUserList: GET /v1/users (a bare array) and /v1/users/count at once.
  step = 'users.getUserList / getCount';
  // skipPasswordRequirement: what server-side imports send; a password is
  // refused, saying why.
  // An import keeps its creation time, legal acceptance and locale.
  const importedAt = new Date('2019-05-06T07:08:09.123Z');
  const acceptedAt = new Date('2019-05-07T00:00:00.000Z');
  const grace = await sdk('users.createUser', clerk.users.createUser({
    emailAddress: ['grace@example.com'], firstName: 'Grace', username: 'grace',
    skipPasswordRequirement: true, skipLegalChecks: true,
    createdAt: importedAt, legalAcceptedAt: acceptedAt, locale: 'en-US',
  }));
  expect(grace.createdAt === importedAt.getTime() &&
         grace.legalAcceptedAt === acceptedAt.getTime() && grace.locale === 'en-US',
         'createUser({createdAt, legalAcceptedAt, locale}) keeps them', grace._raw);
  let refused;
  try {
    await clerk.users.createUser({emailAddress: ['pw@example.com'], password: 'hunter22'});
  } catch (e) {
    refused = e;
  }
  expect(refused && isClerkAPIResponseError(refused) && refused.errors.length === 1 &&
         /password is not accepted/.test(refused.errors[0].longMessage),
         'createUser({password}) -> ClerkAPIResponseError saying why', describe(refused));
  const list = await sdk('users.getUserList', clerk.users.getUserList({
    emailAddress: ['GRACE@example.com'],
  }));
  expect(list && Array.isArray(list.data) && list.data.length === 1 &&
         className(list.data[0]) === 'User' && list.data[0].id === grace.id &&
         list.totalCount === 1,
         'getUserList({emailAddress}) -> {data: [that User], totalCount: 1}', list);
  const page = await sdk('users.getUserList', clerk.users.getUserList({
    limit: 1, orderBy: '+created_at',
  }));
  expect(page.data.length === 1 && page.data[0].id === grace.id && page.totalCount === 2,
         'getUserList({limit: 1, orderBy: "+created_at"}) -> the imported user ' +
         '(created 2019), totalCount 2', page);
  const byQuery = await sdk('users.getUserList', clerk.users.getUserList({query: 'lovel'}));
  expect(byQuery.totalCount === 0, 'getUserList({query}) matches nobody', byQuery);
  const count = await sdk('users.getCount', clerk.users.getCount({query: 'grace'}));
  expect(count === 1, 'users.getCount({query: "grace"}) -> 1', count);
  ok('users.getUserList -> {data, totalCount}; users.getCount -> a number');

  step = 'users.updateUser / updateUserMetadata';
  const renamed = await sdk('users.updateUser',
                            clerk.users.updateUser(grace.id, {lastName: 'Hopper'}));
  expect(className(renamed) === 'User' && renamed.firstName === 'Grace' &&
         renamed.lastName === 'Hopper', 'updateUser({lastName}) keeps firstName', renamed);
  await sdk('users.updateUserMetadata', clerk.users.updateUserMetadata(grace.id, {
    publicMetadata: {team: {name: 'navy', rank: 'admiral'}, drop: 1},
  }));
  const merged = await sdk('users.updateUserMetadata', clerk.users.updateUserMetadata(grace.id, {
    publicMetadata: {team: {rank: 'rear admiral'}, drop: null},
    privateMetadata: {note: 'cobol'},
  }));
  expect(JSON.stringify(merged.publicMetadata) ===
         JSON.stringify({team: {name: 'navy', rank: 'rear admiral'}}) &&
         merged.privateMetadata.note === 'cobol',
         'updateUserMetadata deep-merges, null removes a key', merged._raw);
  // updateUser with metadata: the SDK PUTs .../metadata (replaces).
  const replaced = await sdk('users.updateUser(metadata)',
                             clerk.users.updateUser(grace.id, {publicMetadata: {only: true}}));
  expect(JSON.stringify(replaced.publicMetadata) === '{"only":true}' &&
         replaced.privateMetadata.note === 'cobol',
         'updateUser({publicMetadata}) replaces that one object', replaced._raw);
  ok('users.updateUser, updateUserMetadata (merge), updateUser with metadata (replace)');

  // Errors as Clerk gives them: 422 form_param_* naming the parameter,
  // and a route tokend lacks in Clerk's shape too.
  step = 'errors';
  const expectError = async (what, promise, status, code, param) => {
    let e;
    try {
      await promise;
    } catch (err) {
      e = err;
    }
    expect(e && isClerkAPIResponseError(e) && e.status === status &&
           e.errors.length === 1 && e.errors[0].code === code &&
           (param === undefined || (e.errors[0].meta && e.errors[0].meta.paramName === param)),
           `${what} -> ClerkAPIResponseError ${status} ${code}` +
           (param ? ` (paramName ${param})` : ''), e ? describe(e) : 'resolved');
  };
  await expectError('getUserList({orderBy: "-email_address"})',
                    clerk.users.getUserList({orderBy: '-email_address'}), 422,
                    'form_param_value_invalid', 'order_by');
  await expectError('getUserList({bogusFilter})',
                    clerk.users.getUserList({bogusFilter: 'x'}), 422,
                    'form_param_unknown', 'bogus_filter');
  await expectError('createSession({})', clerk.sessions.createSession({}), 422,
                    'form_param_missing', 'user_id');
  await expectError('organizations.getOrganizationList()',
                    clerk.organizations.getOrganizationList(), 404, 'resource_not_found');
  ok('errors: 422 form_param_value_invalid/unknown/missing with paramName; ' +
     'an unserved route 404 in Clerk\'s shape');

  // Deleting the user ends its sessions: getSession says so.
  step = 'users.deleteUser';
  const deleted = await sdk('users.deleteUser', clerk.users.deleteUser(created.id));
  expect(className(deleted) === 'DeletedObject' && deleted.id === created.id &&
         deleted.deleted === true, 'deleteUser -> DeletedObject', deleted);
  for (const s of [session, second]) {
    const after = await sdk('sessions.getSession', clerk.sessions.getSession(s.id));
    expect(after.status === 'revoked',
           `after deleteUser, getSession(${s.id}).status == "revoked"`, after);
  }
  ok('users.deleteUser -> DeletedObject; the user\'s sessions are revoked');
}

main().then(() => {
  console.log(`PASS: @clerk/backend@${sdkVersion} user/session/template calls against ${base}`);
}, (e) => {
  console.error(`FAIL [${step}]: ` + (e instanceof Failure ? e.message : describe(e)));
  process.exit(1);
});
