// Issue 18: the vendors' SDKs see their own rate-limit errors. tokend runs
// with --rate_limits=clerk_backend=3/1m,courier=3/1m (rate_limit_sdk_test.sh);
// the fourth call within the minute is refused.
//   @clerk/backend   -> ClerkAPIResponseError, status 429, retryAfter (s),
//                       errors[0].code too_many_requests
//   @trycourier/courier (maxRetries: 0) -> RateLimitError, status 429,
//                       x-should-retry: true, Retry-After
// A rate limit is never 401/403, and other keys keep their own budget.
//
// Usage: node rate_limit_sdk_test.cjs BASE_URL SECRET_KEY OTHER_SECRET_KEY
//                                     SCOPED_KEY
'use strict';

const {createClerkClient} = require('@clerk/backend');
const {Courier, RateLimitError} = require('@trycourier/courier');
const {expect, describe, isClerkAPIResponseError} =
    require('./clerk_test_lib.cjs');

const [base, secretKey, otherSecretKey, scopedKey] = process.argv.slice(2);
if (!scopedKey) {
  console.error('usage: node rate_limit_sdk_test.cjs BASE SK OTHER_SK SCK');
  process.exit(2);
}

async function clerk() {
  const client = createClerkClient({secretKey, apiUrl: base});
  // Three calls are admitted (no such session: 404), the fourth is limited.
  for (let i = 0; i < 3; ++i) {
    try {
      await client.sessions.getToken('sess_nope');
      expect(false, 'a token for a session that does not exist');
    } catch (e) {
      expect(isClerkAPIResponseError(e) && e.status === 404,
             `call ${i + 1} -> 404`, describe(e));
    }
  }
  try {
    await client.sessions.getToken('sess_nope');
    expect(false, 'the fourth call was admitted');
  } catch (e) {
    expect(isClerkAPIResponseError(e), 'ClerkAPIResponseError', describe(e));
    expect(e.status === 429, 'status 429', describe(e));
    expect(Number.isInteger(e.retryAfter) && e.retryAfter >= 1 &&
               e.retryAfter <= 20,
           'retryAfter in seconds (one call per 20 s comes back)', describe(e));
    expect(e.errors[0] && e.errors[0].code === 'too_many_requests',
           'errors[0].code too_many_requests', describe(e));
    console.log(`ok: @clerk/backend -> ClerkAPIResponseError 429, ` +
                `retryAfter ${e.retryAfter}, ${e.errors[0].code}`);
  }
  // Another secret key has its own budget.
  const other = createClerkClient({secretKey: otherSecretKey, apiUrl: base});
  try {
    await other.sessions.getToken('sess_nope');
  } catch (e) {
    expect(e.status === 404, 'another key is not limited', describe(e));
  }
}

async function courier() {
  const client = new Courier({apiKey: scopedKey, baseURL: base, maxRetries: 0});
  for (let i = 0; i < 3; ++i) {
    const {token} =
        await client.auth.issueToken({scope: 'user_id:u1', expires_in: '1h'});
    expect(typeof token === 'string', `call ${i + 1} issues a token`);
  }
  try {
    await client.auth.issueToken({scope: 'user_id:u1', expires_in: '1h'});
    expect(false, 'the fourth call was admitted');
  } catch (e) {
    expect(e instanceof RateLimitError, 'RateLimitError', String(e));
    expect(e.status === 429, 'status 429', String(e));
    // A fetch Headers object in this SDK version.
    const header = (name) => typeof e.headers.get === 'function' ?
        e.headers.get(name) : e.headers[name];
    expect(header('x-should-retry') === 'true', 'x-should-retry: true',
           String(header('x-should-retry')));
    const after = Number(header('retry-after'));
    expect(after >= 1 && after <= 20, 'Retry-After in seconds',
           String(header('retry-after')));
    console.log(`ok: @trycourier/courier -> RateLimitError 429, ` +
                `Retry-After ${after}: ${e.message}`);
  }
}

(async () => {
  await clerk();
  await courier();
  console.log('PASS');
})().catch((e) => {
  console.error('FAIL: ' + (e && e.stack || e));
  process.exit(1);
});
