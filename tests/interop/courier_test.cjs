// Issue 6 acceptance: Courier's own SDK (@trycourier/courier from npm, 7.10.2)
// against the real tokend — `new Courier({apiKey, baseURL, maxRetries: 0})
// .auth.issueToken({scope, expires_in})` — with Node's `jose` verifying every
// token against our JWKS (ES256, issuer, exp - iat, scope, sub).
// Usage: node courier_test.cjs BASE_URL SCOPED_KEY SESSIONS_KEY
const jose = require('jose');
const {Courier, BadRequestError, AuthenticationError} = require('@trycourier/courier');

function check(cond, what, detail) {
  if (!cond) throw new Error('FAIL: ' + what + (detail ? ': ' + detail : ''));
}

async function main() {
  const [base, scopedKey, sessionsKey] = process.argv.slice(2);
  const courier = new Courier({apiKey: scopedKey, baseURL: base, maxRetries: 0});
  const jwks = jose.createRemoteJWKSet(new URL(base + '/.well-known/jwks.json'));
  // `at` (a Date) checks the token as of that moment: lifetimes as short as
  // 5 s are checked at their iat, so a stalled machine cannot expire them.
  const verify = async (token, at) =>
      (await jose.jwtVerify(token, jwks, {issuer: base, algorithms: ['ES256'],
                                          currentDate: at}));

  // The documented example, plus a brand; the scope claim is normalised by
  // hand: user ids first in their order, then the rest in byte order.
  const res = await courier.auth.issueToken({
    scope: 'user_id:u1 read:brands:b1  inbox:write:events inbox:read:messages user_id:u2',
    expires_in: '2 days',
  });
  check(typeof res.token === 'string', 'issueToken returns {token}', JSON.stringify(res));
  const {payload, protectedHeader} = await verify(res.token);
  check(protectedHeader.alg === 'ES256' && protectedHeader.kid, 'ES256 header with kid',
        JSON.stringify(protectedHeader));
  check(payload.scope ===
            'user_id:u1 user_id:u2 inbox:read:messages inbox:write:events read:brands:b1',
        'normalised scope', payload.scope);
  check(payload.sub === 'u1', 'sub is the first user id', payload.sub);
  check(payload.exp - payload.iat === 2 * 86400, 'exp - iat = 2 days', payload.exp - payload.iat);
  check(Math.abs(payload.iat - Date.now() / 1000) < 60, 'iat is now', payload.iat);
  check(typeof payload.jti === 'string' && payload.jti.length >= 16, 'jti', payload.jti);
  console.log('ok: auth.issueToken -> jose-verified ES256 token, claims ' + JSON.stringify(payload));

  // tokend's own Verify RPC (REST) accepts it too.
  const verified = await fetch(base + '/v1/tokens:verify', {
    method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({token: res.token, family: 'scoped'})});
  const body = await verified.json();
  check(verified.status === 200 && body.claims && body.claims.scope === payload.scope,
        'POST /v1/tokens:verify accepts the scoped token', JSON.stringify(body));
  console.log('ok: POST /v1/tokens:verify accepts the scoped token');

  // The seed examples of expires_in, through the SDK.
  const seeds = {'2 hours': 7200, '1d': 86400, '3 days': 259200, '10h': 36000,
                 '2.5 hrs': 9000, '1m': 60, '5s': 5, '1y': 31557600};
  for (const [expires_in, seconds] of Object.entries(seeds)) {
    const {token} = await courier.auth.issueToken({scope: 'user_id:u1 read:messages', expires_in});
    const {payload: p} = await verify(token, new Date(jose.decodeJwt(token).iat * 1000));
    check(p.exp - p.iat === seconds, `expires_in "${expires_in}"`, `${p.exp - p.iat} != ${seconds}`);
  }
  console.log('ok: expires_in seeds ' + Object.keys(seeds).join(', '));

  // As Courier's API also takes it: a number of seconds, and (through
  // plain JSON: the SDK's types require it) omitted, which lives an hour.
  {
    const {token} = await courier.auth.issueToken({scope: 'user_id:u1', expires_in: 90});
    const p = jose.decodeJwt(token);
    check(p.exp - p.iat === 90, 'expires_in 90 (a number) -> 90 s', `${p.exp - p.iat}`);
    const res = await fetch(base + '/auth/issue-token', {
      method: 'POST', headers: {Authorization: 'Bearer ' + scopedKey},
      body: JSON.stringify({scope: 'user_id:u1'})});
    const body = await res.json();
    const q = res.status === 200 ? jose.decodeJwt(body.token) : {};
    check(res.status === 200 && q.exp - q.iat === 3600,
          'expires_in omitted -> 3600 s', JSON.stringify(body));
    for (const bad of [1.5, -3, true]) {
      try {
        await courier.auth.issueToken({scope: 'user_id:u1', expires_in: bad});
        check(false, `expires_in ${JSON.stringify(bad)} accepted`);
      } catch (e) {
        check(e instanceof BadRequestError && /expires_in/.test(e.error.message),
              `expires_in ${JSON.stringify(bad)} -> 400 naming expires_in`, String(e));
      }
    }
    console.log('ok: expires_in as a number of seconds, omitted (1 h), refused when not whole');
  }

  // A bad scope: BadRequestError (400) whose error.message names it; the
  // reply tells the SDK not to retry.
  try {
    await courier.auth.issueToken({scope: 'user_id:u1 read:everything', expires_in: '1h'});
    check(false, 'bad scope accepted');
  } catch (e) {
    check(e instanceof BadRequestError && e.status === 400, 'bad scope -> BadRequestError 400',
          String(e));
    check(e.error && e.error.type === 'invalid_request_error', 'Courier error type',
          JSON.stringify(e.error));
    check(e.error.message.includes('read:everything'), 'error.message names the scope',
          e.error.message);
    check(e.headers.get('x-should-retry') === 'false', 'x-should-retry: false');
    console.log('ok: bad scope -> ' + e.message);
  }
  try {
    await courier.auth.issueToken({scope: 'read:user-tokens', expires_in: '1h'});
    check(false, 'user-bound scope without user_id accepted');
  } catch (e) {
    check(e instanceof BadRequestError && e.error.message.includes('user_id'),
          'user-bound scope without user_id -> 400 naming user_id', String(e));
    console.log('ok: no user_id -> ' + e.message);
  }
  for (const expires_in of ['2 fortnights', '0s', '2y']) {
    try {
      await courier.auth.issueToken({scope: 'user_id:u1', expires_in});
      check(false, `expires_in "${expires_in}" accepted`);
    } catch (e) {
      check(e instanceof BadRequestError && e.error.message.includes(expires_in),
            `expires_in "${expires_in}" -> 400 naming it`, String(e));
      console.log(`ok: expires_in "${expires_in}" -> ` + e.message);
    }
  }

  // Keys: a wrong key and a key of another surface (sessions, sk_) -> 401.
  for (const [name, apiKey] of [['a wrong key', 'sck_not-a-real-key'],
                                ['a sessions key', sessionsKey]]) {
    const other = new Courier({apiKey, baseURL: base, maxRetries: 0});
    try {
      await other.auth.issueToken({scope: 'user_id:u1', expires_in: '1h'});
      check(false, name + ' accepted');
    } catch (e) {
      check(e instanceof AuthenticationError && e.status === 401,
            name + ' -> AuthenticationError 401', String(e));
      check(!e.error.message.includes(apiKey), name + ': the key is not echoed');
      console.log(`ok: ${name} -> ` + e.message);
    }
  }
}

main().then(() => console.log('PASS'), (e) => { console.error(e.stack || String(e)); process.exit(1); });
