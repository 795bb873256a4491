// Issue 5 acceptance: Clerk's own backend SDK (@clerk/backend from npm)
// drives tokend's session-token endpoints by changing only apiUrl, and
// Node's `jose` verifies every token against tokend's JWKS.
//
// Usage: node clerk_backend_test.cjs BASE_URL SECRET_KEY
//   BASE_URL    http://127.0.0.1:PORT (tokend's REST gateway; also its issuer)
//   SECRET_KEY  a "sessions" API key (sk_…) created with tokenctl
//
// Setup (user, session, JWT template) goes over plain fetch with the sk_
// key; everything the acceptance names goes through the SDK:
//   sessions.getToken(id), getToken(id, template), getToken(id, template, 120)
//   -> Token objects whose JWTs verify with jose and carry the expected claims;
//   unknown session -> ClerkAPIResponseError 404 resource_not_found;
//   bad secret key  -> ClerkAPIResponseError 401;
//   revokeSession   -> new getToken calls fail (404) and
//                      POST /v1/tokens:verify rejects the earlier, unexpired
//                      session token (401).
'use strict';

const {createClerkClient, verifyToken} = require('@clerk/backend');
const {Failure, expect, describe, ok, isClerkAPIResponseError} =
    require('./clerk_test_lib.cjs');
const jose = require('jose');

const [base, secretKey] = process.argv.slice(2);
if (!base || !secretKey) {
  console.error('usage: node clerk_backend_test.cjs BASE_URL SECRET_KEY');
  process.exit(2);
}

const sdkVersion = require('@clerk/backend/package.json').version;
let step = 'start';
const sameKeys = (obj, keys) =>
  JSON.stringify(Object.keys(obj).sort()) === JSON.stringify([...keys].sort());

// Plain HTTP for setup and for Verify, with the response shown on failure.
async function call(method, path, body, headers = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      'Authorization': 'Bearer ' + secretKey,
      ...(body === undefined ? {} : {'Content-Type': 'application/json'}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch (e) { json = undefined; }
  return {status: res.status, type: res.headers.get('content-type'), text, json};
}
async function setup(method, path, body, object) {
  const r = await call(method, path, body);
  expect(r.status === 200 && r.json && r.json.object === object,
         `${method} ${path} -> want 200 {"object":"${object}",…}`,
         `HTTP ${r.status} ${r.text.slice(0, 400)}`);
  return r.json;
}

async function expectApiError(what, promise, status, code) {
  let result;
  try {
    result = await promise;
  } catch (e) {
    expect(isClerkAPIResponseError(e),
           `${what}: want ClerkAPIResponseError`, describe(e));
    expect(e.status === status, `${what}: want status ${status}`, describe(e));
    expect(Array.isArray(e.errors) && e.errors.length > 0,
           `${what}: want errors[] from a Clerk-shaped JSON body ` +
           '(Content-Type exactly application/json)', describe(e));
    if (code !== undefined) {
      expect(e.errors[0].code === code,
             `${what}: want errors[0].code == "${code}"`, describe(e));
    }
    return e;
  }
  throw new Failure(`${what}: want ClerkAPIResponseError ${status}, but the call ` +
                    'resolved to ' + JSON.stringify(result));
}

async function main() {
  const now = () => Math.floor(Date.now() / 1000);
  const jwksUrl = new URL(base + '/v1/jwks');
  const jwks = jose.createRemoteJWKSet(jwksUrl);

  step = 'setup over REST';
  const email = 'ada@example.com';
  const user = await setup('POST', '/v1/users', {
    first_name: 'Ada', last_name: 'Lovelace', email_address: [email],
    public_metadata: {role: 'admin', tags: ['x', 'y']},
  }, 'user');
  expect(/^user_/.test(user.id), 'user id starts with user_', user);
  const session = await setup('POST', '/v1/sessions', {user_id: user.id}, 'session');
  expect(/^sess_/.test(session.id) && session.status === 'active',
         'new session: sess_… and active', session);
  const templateName = 'app';
  const lifetime = 90, skew = 10;  // distinct from the defaults (60, 5)
  const template = await setup('POST', '/v1/jwt_templates', {
    name: templateName,
    claims: {
      email: '{{user.primary_email_address}}',
      role: '{{user.public_metadata.role}}',
      tags: '{{user.public_metadata.tags}}',
    },
    lifetime, allowed_clock_skew: skew,
  }, 'jwt_template');
  ok(`setup: ${user.id}, ${session.id}, template "${template.name}" (${template.id})`);

  // JWKS: /v1/jwks and /.well-known/jwks.json carry the same keys.
  step = 'JWKS';
  const j1 = await call('GET', '/v1/jwks');
  const j2 = await call('GET', '/.well-known/jwks.json');
  expect(j1.status === 200 && j1.json && Array.isArray(j1.json.keys) && j1.json.keys.length > 0,
         'GET /v1/jwks -> 200 {"keys":[…]}', `HTTP ${j1.status} ${j1.text.slice(0, 300)}`);
  expect(j2.status === 200, 'GET /.well-known/jwks.json -> 200', `HTTP ${j2.status}`);
  const kids = (j) => j.keys.map((k) => k.kid).sort();
  expect(JSON.stringify(kids(j1.json)) === JSON.stringify(kids(j2.json)),
         '/v1/jwks and /.well-known/jwks.json list the same kids',
         {v1: kids(j1.json), wellKnown: kids(j2.json)});
  ok(`GET /v1/jwks == /.well-known/jwks.json (${kids(j1.json).join(', ')})`);

  const clerk = createClerkClient({secretKey, apiUrl: base});

  // Checks a getToken result: a Token object whose JWT verifies with jose
  // against /v1/jwks (RS256, kid from the JWKS, our issuer).
  async function verified(what, token) {
    expect(token && typeof token === 'object' && typeof token.jwt === 'string',
           `${what}: want a Token object with .jwt (a string result means the ` +
           'response Content-Type was not exactly application/json)', token);
    // The bundled class is named "_Token"; a plain object would mean the
    // response lacked "object":"token".
    expect(token.constructor && /^_?Token$/.test(token.constructor.name),
           `${what}: want the SDK's Token class (response {"object":"token",…})`,
           (token.constructor && token.constructor.name) + ' ' + JSON.stringify(token));
    let res;
    try {
      res = await jose.jwtVerify(token.jwt, jwks, {issuer: base, algorithms: ['RS256']});
    } catch (e) {
      throw new Failure(`${what}: jose.jwtVerify against ${jwksUrl} (issuer ${base}) ` +
                        `failed: ${e.code || ''} ${e.message}\n      header: ` +
                        JSON.stringify(jose.decodeProtectedHeader(token.jwt)) +
                        '\n      claims: ' + JSON.stringify(jose.decodeJwt(token.jwt)));
    }
    const {payload: c, protectedHeader: h} = res;
    expect(h.alg === 'RS256' && h.typ === 'JWT' && kids(j1.json).includes(h.kid),
           `${what}: header {alg:RS256, typ:JWT, kid in JWKS}`, h);
    expect(Math.abs(c.iat - now()) <= 30, `${what}: iat close to now (${now()})`, c);
    expect(typeof c.jti === 'string' && c.jti.length > 0, `${what}: jti`, c);
    expect(c.sub === user.id, `${what}: sub == ${user.id}`, c);
    return c;
  }

  // 1. sessions.getToken(id): the default session token.
  step = 'getToken(id)';
  // Clerk's claims, and tokend's tkd_family (README "Token families").
  const defaultKeys = ['exp', 'iat', 'iss', 'jti', 'nbf', 'sid', 'sub', 'v', 'tkd_family'];
  const t1 = await clerk.sessions.getToken(session.id);
  const c1 = await verified('getToken(id)', t1);
  expect(sameKeys(c1, defaultKeys) || sameKeys(c1, [...defaultKeys, 'azp']),
         'getToken(id): claims are exactly azp?, exp, iat, iss, jti, nbf, sid, sub, v, tkd_family', c1);
  expect(c1.sid === session.id && c1.v === 2 && c1.tkd_family === 'session',
         `getToken(id): sid == ${session.id}, v == 2, tkd_family == session`, c1);
  expect(c1.exp - c1.iat === 60 && c1.nbf === c1.iat - 5,
         'getToken(id): exp = iat + 60, nbf = iat - 5', c1);
  ok('sessions.getToken(id): Token, jose-verified, claims ' + JSON.stringify(c1));

  // The same token through the SDK's own verifyToken (fetches apiUrl/v1/jwks
  // with the secret key).
  step = 'verifyToken';
  // The exported verifyToken resolves to the payload and throws a
  // TokenVerificationError on failure.
  let vt;
  try {
    vt = await verifyToken(t1.jwt, {secretKey, apiUrl: base});
  } catch (e) {
    throw new Failure('@clerk/backend verifyToken(token, {secretKey, apiUrl}) failed: ' +
                      (e.reason ? `reason=${e.reason} ` : '') + describe(e));
  }
  expect(vt && vt.sid === session.id && vt.jti === c1.jti,
         '@clerk/backend verifyToken -> the token\'s payload', vt);
  ok('@clerk/backend verifyToken accepts the session token');

  // getToken(id, undefined, 120): expires_in_seconds on the default token.
  step = 'getToken(id, undefined, 120)';
  const c1b = await verified('getToken(id, undefined, 120)',
                             await clerk.sessions.getToken(session.id, undefined, 120));
  expect(c1b.exp - c1b.iat === 120 && c1b.sid === session.id,
         'getToken(id, undefined, 120): exp = iat + 120', c1b);
  ok('sessions.getToken(id, undefined, 120): exp - iat = 120');

  // 2. sessions.getToken(id, template): the template's claims + the
  // automatic ones, its lifetime and clock skew.
  step = 'getToken(id, template)';
  const templateKeys = ['email', 'role', 'tags', 'exp', 'iat', 'iss', 'jti', 'nbf', 'sub',
                        'tkd_family', 'tkd_sid'];
  const c2 = await verified('getToken(id, template)',
                            await clerk.sessions.getToken(session.id, templateName));
  expect(sameKeys(c2, templateKeys) || sameKeys(c2, [...templateKeys, 'azp']),
         'getToken(id, template): claims are exactly the template\'s (email, role, tags) + ' +
         'azp?, exp, iat, iss, jti, nbf, sub, tkd_family, tkd_sid (no sid, no v)', c2);
  expect(c2.tkd_family === 'template' && c2.tkd_sid === session.id,
         `getToken(id, template): tkd_family == template, tkd_sid == ${session.id}`, c2);
  expect(c2.email === email && c2.role === 'admin' &&
         JSON.stringify(c2.tags) === '["x","y"]',
         `getToken(id, template): email == ${email}, role == admin, tags == ["x","y"]`, c2);
  expect(c2.exp - c2.iat === lifetime && c2.nbf === c2.iat - skew,
         `getToken(id, template): exp = iat + ${lifetime} (lifetime), ` +
         `nbf = iat - ${skew} (allowed_clock_skew)`, c2);
  ok('sessions.getToken(id, template): Token, jose-verified, claims ' + JSON.stringify(c2));

  // 3. sessions.getToken(id, template, 120): expires_in_seconds wins.
  step = 'getToken(id, template, 120)';
  const c3 = await verified('getToken(id, template, 120)',
                            await clerk.sessions.getToken(session.id, templateName, 120));
  expect(c3.exp - c3.iat === 120, 'getToken(id, template, 120): exp - iat == 120', c3);
  expect(c3.email === email && c3.role === 'admin' && c3.nbf === c3.iat - skew,
         'getToken(id, template, 120): template claims and nbf unchanged', c3);
  ok('sessions.getToken(id, template, 120): exp - iat = 120');

  // azp comes from the Origin header (the SDK sends none; plain fetch here).
  step = 'azp from Origin';
  const origin = 'https://app.example.com';
  const ro = await call('POST', `/v1/sessions/${session.id}/tokens`, undefined, {Origin: origin});
  expect(ro.status === 200 && ro.json && typeof ro.json.jwt === 'string',
         'POST /v1/sessions/{id}/tokens with Origin -> 200 {jwt}', `HTTP ${ro.status} ${ro.text}`);
  const co = jose.decodeJwt(ro.json.jwt);
  expect(co.azp === origin, `Origin: ${origin} -> azp claim`, co);
  ok('Origin header -> azp');

  // 4. Errors: unknown session, unknown template, bad secret key.
  step = 'errors';
  const e404 = await expectApiError('getToken(unknown session)',
      clerk.sessions.getToken('sess_doesnotexist0000000000'), 404, 'resource_not_found');
  expect(e404.errors[0].message === 'Session not found',
         'unknown session: errors[0].message == "Session not found"', describe(e404));
  expect(e404.message === 'Not Found',
         'unknown session: error.message (the HTTP reason phrase) == "Not Found"',
         describe(e404));
  ok('unknown session -> ClerkAPIResponseError 404 resource_not_found ' +
     JSON.stringify(e404.errors[0]));
  await expectApiError('getToken(id, unknown template)',
      clerk.sessions.getToken(session.id, 'no_such_template'), 404, 'resource_not_found');
  ok('unknown template -> ClerkAPIResponseError 404 resource_not_found');
  const bad = createClerkClient({secretKey: 'sk_test_not_a_real_key', apiUrl: base});
  const e401 = await expectApiError('getToken with a bad secret key',
      bad.sessions.getToken(session.id), 401);
  ok('bad secret key -> ClerkAPIResponseError 401 ' + JSON.stringify(e401.errors[0]));
  await expectApiError('getToken with a bad secret key (template)',
      bad.sessions.getToken(session.id, templateName, 120), 401);
  ok('bad secret key (template, 120) -> ClerkAPIResponseError 401');

  // 5. Revocation. Verify accepts the session token first (so the later 401
  // is due to the revocation), then the SDK revokes the session.
  step = 'Verify before revoke';
  // Minted here for an hour: t1's 60 s may have run out on a stalled machine,
  // and the 401 below must be due to the revocation alone.
  const t5 = await clerk.sessions.getToken(session.id, undefined, 3600);
  const c5 = await verified('getToken(id, undefined, 3600)', t5);
  const v1 = await call('POST', '/v1/tokens:verify', {token: t5.jwt, family: 'session'});
  expect(v1.status === 200 && v1.json && v1.json.claims && v1.json.claims.sid === session.id,
         'POST /v1/tokens:verify of the session token (before revoke) -> 200 with claims.sid',
         `HTTP ${v1.status} ${v1.text.slice(0, 400)}`);
  ok('POST /v1/tokens:verify accepts the session token before revocation');

  step = 'revokeSession';
  let revoked;
  try {
    revoked = await clerk.sessions.revokeSession(session.id);
  } catch (e) {
    throw new Failure('sessions.revokeSession(id) failed: ' + describe(e));
  }
  expect(revoked && revoked.id === session.id && revoked.status === 'revoked',
         'sessions.revokeSession(id) -> Session with status "revoked"', revoked);
  ok('sessions.revokeSession(id) -> status revoked');

  step = 'after revoke';
  await expectApiError('getToken(revoked session)',
      clerk.sessions.getToken(session.id), 404, 'resource_not_found');
  await expectApiError('getToken(revoked session, template)',
      clerk.sessions.getToken(session.id, templateName), 404, 'resource_not_found');
  await expectApiError('getToken(revoked session, template, 120)',
      clerk.sessions.getToken(session.id, templateName, 120), 404, 'resource_not_found');
  ok('revoked session: getToken(id), getToken(id, template[, 120]) -> 404 resource_not_found');

  expect(c5.exp > now() + 1, 'the earlier session token is still unexpired',
         {exp: c5.exp, now: now()});
  const v2 = await call('POST', '/v1/tokens:verify', {token: t5.jwt, family: 'session'});
  expect(v2.status === 401,
         'POST /v1/tokens:verify of the revoked session\'s unexpired token -> 401',
         `HTTP ${v2.status} ${v2.text.slice(0, 400)}`);
  ok('POST /v1/tokens:verify rejects the revoked session\'s unexpired token: ' +
     v2.text.slice(0, 200));
}

main().then(() => {
  console.log(`PASS: @clerk/backend@${sdkVersion} against ${base}`);
}, (e) => {
  if (e instanceof Failure) {
    console.error(`FAIL [${step}]: ${e.message}`);
  } else {
    console.error(`FAIL [${step}]: unexpected ${describe(e)}`);
  }
  process.exit(1);
});
