// Issue 16: a server-rendered app stays signed in across token expiry.
// @clerk/backend's authenticateRequest — the SDK itself, not our reading of
// it — decides when to hand-shake, builds the handshake URL, and accepts or
// refuses what tokend's /v1/client/handshake sends back; the browser's part
// (following redirects, carrying cookies) is played with fetch.
// Also: tokens minted through the Backend API and the Frontend API pass
// authenticateRequest with authorizedParties, and an origin tokend was not
// told about gets no token.
//
// Usage: node clerk_handshake_test.cjs BASE_URL SECRET_KEY
//   tokend runs with --allowed_origins=http://app.test (the app's origin,
//   never contacted: the SDK only parses URLs on it).
'use strict';

const {createClerkClient} = require('@clerk/backend');
const jose = require('jose');
const {Failure, expect, describe, ok} = require('./clerk_test_lib.cjs');

const [base, secretKey] = process.argv.slice(2);
const APP = 'http://app.test';

async function main() {
  // A production publishable key names the Frontend API host (the SDK
  // derives the handshake URL from it); proxyUrl keeps that URL on http.
  const host = new URL(base).host;
  const publishableKey =
      'pk_live_' + Buffer.from(host + '$').toString('base64').replace(/=+$/, '');
  const clerk = createClerkClient({secretKey, publishableKey, apiUrl: base,
                                   proxyUrl: base});
  const options = {authorizedParties: [APP]};
  const bapi = async (method, path, body, headers = {}) => {
    const r = await fetch(base + path, {method, headers: {
      authorization: 'Bearer ' + secretKey, 'content-type': 'application/json',
      ...headers}, body: body && JSON.stringify(body)});
    return {status: r.status, json: await r.json()};
  };

  const user = await clerk.users.createUser({firstName: 'Ssr'});
  // tokend hands the session's client token (the __client cookie) to the
  // Backend API caller that signs the user in.
  const created = await bapi('POST', '/v1/sessions', {user_id: user.id});
  const sid = created.json.id, client = created.json.client_token;
  expect(created.status === 200 && sid && client, 'POST /v1/sessions', created);

  // Sign-in as clerk-js does it, from the app's origin: azp = the app.
  const signIn = await fetch(`${base}/v1/client/sessions/${sid}/tokens`, {
    method: 'POST', headers: {cookie: '__client=' + client, origin: APP}});
  const first = (await signIn.json()).jwt;
  expect(signIn.status === 200 && first, 'FAPI token from the app origin');
  const claims = jose.decodeJwt(first);
  expect(claims.azp === APP && claims.iss === base, 'azp and iss', claims);

  const page = (url, cookie, extra = {}) => new Request(url, {headers: {
    cookie, 'sec-fetch-dest': 'document', accept: 'text/html', ...extra}});
  let jar = `__session=${first}; __client_uat=${claims.iat}`;
  let state = await clerk.authenticateRequest(page(APP + '/dashboard', jar), options);
  expect(state.status === 'signed-in' && state.toAuth().sessionId === sid,
         'authenticateRequest with a fresh __session -> signed-in',
         {status: state.status, reason: state.reason});
  ok('authenticateRequest: signed in with a Frontend API token (azp ' + APP + ')');

  // The token expires (60 s + the SDK's 5 s skew): the SDK's clock is
  // moved past it for this one call rather than the test sleeping; tokend's
  // tokens from here on are fresh in real time.
  const realNow = Date.now;
  Date.now = () => realNow() + 70_000;
  try {
    state = await clerk.authenticateRequest(page(APP + '/dashboard?tab=2', jar), options);
  } finally {
    Date.now = realNow;
  }
  {
    const location = state.headers.get('location');
    expect(state.status === 'handshake' && location &&
           location.startsWith(base + '/v1/client/handshake?'),
           'expired __session on a page load -> handshake to tokend',
           {status: state.status, reason: state.reason, location});
    ok('authenticateRequest: expired token -> handshake (' + state.reason + ')');

    // The browser follows it, with tokend's cookie.
    const hs = await fetch(location, {redirect: 'manual',
                                      headers: {cookie: '__client=' + client}});
    const back = hs.headers.get('location');
    expect(hs.status === 307 && back &&
           back.startsWith(APP + '/dashboard?tab=2&__clerk_handshake=') &&
           hs.headers.get('cache-control') === 'no-store',
           'GET /v1/client/handshake -> 307 back to the app', {status: hs.status, back});

    // Back at the app: the SDK verifies the handshake against /v1/jwks,
    // takes the new __session and verifies it with authorizedParties.
    state = await clerk.authenticateRequest(page(back, jar), options);
    expect(state.status === 'signed-in' && state.toAuth().sessionId === sid,
           'return trip -> signed-in', {status: state.status, reason: state.reason,
                                        message: state.message});
    const cookies = state.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('__session='));
    const uat = cookies.find((c) => c.startsWith('__client_uat='));
    expect(session && uat && state.token !== first, 'return trip sets new cookies', cookies);
    jar = [session, uat].map((c) => c.split(';')[0]).join('; ');
    // And the next page load is signed in without another handshake.
    state = await clerk.authenticateRequest(page(APP + '/dashboard', jar), options);
    expect(state.status === 'signed-in', 'next page with the new cookies -> signed-in',
           {status: state.status, reason: state.reason});
  }
  ok('handshake: the browser came back signed in, and stays so');

  // A browser whose client is gone is signed out by the handshake.
  const out = await fetch(`${base}/v1/client/handshake?redirect_url=` +
                          encodeURIComponent(APP + '/'), {redirect: 'manual'});
  expect(out.status === 307, 'handshake without __client -> 307', out.status);
  state = await clerk.authenticateRequest(page(out.headers.get('location'), jar), options);
  expect(state.status === 'signed-out', 'handshake without a client -> signed-out',
         {status: state.status, reason: state.reason});
  ok('handshake without a client signs the browser out');

  // Only to allowed origins: no open redirect.
  const evil = await fetch(`${base}/v1/client/handshake?redirect_url=` +
                           encodeURIComponent('https://evil.example/'),
                           {redirect: 'manual', headers: {cookie: '__client=' + client}});
  const err = await evil.json();
  expect(evil.status === 422 && !evil.headers.get('location') &&
         err.errors[0].code === 'form_param_value_invalid' &&
         err.errors[0].meta.param_name === 'redirect_url',
         'handshake to another origin -> 422 in Clerk\'s shape', err);
  ok('handshake refuses an origin not allowed (422 form_param_value_invalid)');

  // A Backend API token (no Origin: a server calls) names the app, so it
  // passes authorizedParties too.
  const minted = await clerk.sessions.getToken(sid);
  const viaBapi = typeof minted === 'string' ? minted : minted.jwt;
  expect(jose.decodeJwt(viaBapi).azp === APP, 'BAPI token azp', jose.decodeJwt(viaBapi));
  state = await clerk.authenticateRequest(new Request(APP + '/api', {
    headers: {authorization: 'Bearer ' + viaBapi}}), options);
  expect(state.status === 'signed-in', 'BAPI token passes authorizedParties',
         {status: state.status, reason: state.reason});
  const {verifyToken} = require('@clerk/backend');
  const payload = await verifyToken(viaBapi, {secretKey, apiUrl: base,
                                              authorizedParties: [APP]});
  expect(payload.sid === sid, 'verifyToken with authorizedParties', payload);
  ok('Backend API token passes authenticateRequest and verifyToken with authorizedParties');

  // A page on an origin tokend does not list cannot get a token.
  const foreign = await fetch(`${base}/v1/client/sessions/${sid}/tokens`, {
    method: 'POST', headers: {cookie: '__client=' + client,
                              origin: 'https://evil.example'}});
  const ferr = await foreign.json();
  expect(foreign.status === 403 && ferr.errors[0].code === 'origin_invalid',
         'FAPI token for an unlisted origin -> 403 origin_invalid', ferr);
  ok('Frontend API refuses an origin not allowed (403 origin_invalid)');
}

main().catch((e) => {
  console.error('FAIL: ' + (e instanceof Failure ? e.message : describe(e)));
  process.exit(1);
});
